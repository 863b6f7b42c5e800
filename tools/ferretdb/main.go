// Command ferretdb runs an embedded FerretDB (MongoDB wire protocol) server
// backed by SQLite (the default) or PostgreSQL, for Tonegraph development,
// tests and benchmarks.
//
// Once listening it prints one line to stdout: "ferretdb ready <mongodb uri>".
// It stops cleanly on SIGINT/SIGTERM and exits 0.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:27017", "TCP address to listen on (host:port; port 0 picks a free one)")
	handler := flag.String("handler", "sqlite", "backend: sqlite or postgresql")
	dataDir := flag.String("data-dir", "", "directory for the SQLite backend (required with -handler sqlite; created if missing)")
	postgresqlURL := flag.String("postgresql-url", "", "PostgreSQL database for the postgresql backend (required with -handler postgresql)")
	logLevel := flag.String("log-level", "warn", "log level: debug, info, warn or error")
	flag.Parse()

	// Every find decodes each stored document into short-lived Go values, so
	// the collector ran for a sixth of the CPU of a query at the default
	// GOGC=100. Trading memory for it (a server of a few hundred MB) unless
	// the environment sets GOGC itself.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}

	if err := run(*listen, *handler, *dataDir, *postgresqlURL, *logLevel); err != nil {
		fmt.Fprintln(os.Stderr, "ferretdb:", err)
		os.Exit(1)
	}
}

func run(listen, handler, dataDir, postgresqlURL, logLevel string) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(logLevel)); err != nil {
		return fmt.Errorf("invalid -log-level %q: %w", logLevel, err)
	}

	cfg := ferretdb.Config{Listener: ferretdb.ListenerConfig{TCP: listen}, Handler: handler}
	switch handler {
	case "sqlite":
		if dataDir == "" {
			return fmt.Errorf("-data-dir is required with -handler sqlite")
		}
		dir, err := filepath.Abs(dataDir)
		if err != nil {
			return err
		}
		if err = os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		// WAL with synchronous=NORMAL: a commit survives the process being
		// killed (the chaos tests do that) but not a power cut; without it
		// every write waits for an fsync, which made linking duplicates crawl.
		cfg.SQLiteURL = "file:" + strings.TrimSuffix(filepath.ToSlash(dir), "/") + "/?_pragma=synchronous(normal)"
	case "postgresql":
		if postgresqlURL == "" {
			return fmt.Errorf("-postgresql-url is required with -handler postgresql")
		}
		cfg.PostgreSQLURL = postgresqlURL
	default:
		return fmt.Errorf("invalid -handler %q: expected sqlite or postgresql", handler)
	}

	// Telemetry: ferretdb.New never creates the telemetry reporter and marks
	// telemetry disabled+locked (so setFreeMonitoring can't enable it); the
	// telemetry package is not even linked in. No outbound network calls.
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	slog.SetDefault(logger)
	cfg.Logger = logger

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	// New opens the backend and binds the listener, so the server is
	// reachable (connections queue in the backlog) once it returns.
	fdb, err := ferretdb.New(&cfg)
	if err != nil {
		return err
	}

	done := make(chan error, 1)
	go func() { done <- fdb.Run(ctx) }()

	if _, err = fmt.Fprintf(os.Stdout, "ferretdb ready %s\n", fdb.MongoDBURI()); err != nil {
		return err
	}
	_ = os.Stdout.Sync() // os.Stdout is unbuffered; Sync is a no-op on pipes

	return <-done
}
