package tonegraph.neo4j;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.neo4j.configuration.GraphDatabaseInternalSettings;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.connectors.HttpsConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.io.ByteUnit;
import sun.misc.Signal;

/**
 * Runs Neo4j Community embedded with its Bolt connector on 127.0.0.1 (auth off, HTTP off) and the
 * APOC core procedures, for Tonegraph's local stack. Prints "neo4j ready bolt://127.0.0.1:PORT" once
 * Bolt accepts connections; on SIGTERM/SIGINT shuts the database down cleanly and exits 0.
 */
public final class Main {
  private static final String HOST = "127.0.0.1";
  private static final String USAGE = "usage: java -Xmx768m -jar tonegraph-neo4j.jar --data-dir DIR"
      + " [--bolt-port 7687] [--pagecache 128m | --pagecache-mb 128] [--tx-log-retention '2 files']"
      + " [--plugins-dir DIR]";

  private Main() {}

  public static void main(String[] args) throws Exception {
    int port = 7687;
    Path dataDir = null;
    Path pluginsDir = Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI())
        .getParent().resolve("plugins"); // the build copies the APOC jars beside the jar
    long pagecache = ByteUnit.mebiBytes(128);
    String txLogRetention = "2 files";
    for (int i = 0; i < args.length; i++) {
      String flag = args[i];
      String value = i + 1 < args.length ? args[++i] : null;
      if (value == null) fail(flag + " needs a value");
      switch (flag) {
        case "--bolt-port" -> port = Integer.parseInt(value);
        case "--data-dir" -> dataDir = Path.of(value).toAbsolutePath();
        case "--plugins-dir" -> pluginsDir = Path.of(value).toAbsolutePath();
        case "--pagecache" -> pagecache = ByteUnit.parse(value);
        case "--pagecache-mb" -> pagecache = ByteUnit.mebiBytes(Long.parseLong(value));
        case "--tx-log-retention" -> txLogRetention = value;
        default -> fail("unknown argument " + flag);
      }
    }
    if (dataDir == null) fail("--data-dir is required");
    Files.createDirectories(dataDir);
    if (!Files.isDirectory(pluginsDir)) System.err.println("neo4j: no " + pluginsDir + "; APOC unavailable");

    // Handle TERM/INT ourselves (the JVM default would exit 143) so we shut down and exit 0.
    CountDownLatch stop = new CountDownLatch(1);
    for (String sig : new String[] {"TERM", "INT"}) Signal.handle(new Signal(sig), s -> stop.countDown());

    long t0 = System.nanoTime();
    DatabaseManagementService dbms;
    try {
      dbms = build(dataDir, port, pluginsDir, pagecache, txLogRetention);
    } catch (RuntimeException e) {
      // A failed start leaves non-daemon Neo4j threads behind: exit explicitly instead of hanging.
      e.printStackTrace();
      System.err.println("neo4j: failed to start (see " + dataDir.resolve("logs/debug.log") + ")");
      System.exit(1);
      return;
    }
    Thread hook = new Thread(dbms::shutdown, "neo4j-shutdown"); // for exits other than TERM/INT
    Runtime.getRuntime().addShutdownHook(hook);

    if (!dbms.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME).isAvailable(300_000)) {
      fail("the default database did not become available");
    }
    waitForBolt(port, 120_000);
    System.out.println("neo4j ready bolt://" + HOST + ":" + port);
    System.out.flush();
    System.err.printf("neo4j: started in %d ms, data dir %s%n", (System.nanoTime() - t0) / 1_000_000, dataDir);

    stop.await();
    System.err.println("neo4j: shutting down");
    dbms.shutdown();
    Runtime.getRuntime().removeShutdownHook(hook);
    System.err.println("neo4j: stopped");
    System.exit(0);
  }

  /** Home = data dir: stores in <data-dir>/data, Neo4j's own logs in <data-dir>/logs/debug.log. */
  private static DatabaseManagementService build(
      Path dataDir, int port, Path pluginsDir, long pagecache, String txLogRetention) {
    return new DatabaseManagementServiceBuilder(dataDir)
        .setConfig(BoltConnector.enabled, true)
        .setConfig(BoltConnector.listen_address, new SocketAddress(HOST, port))
        .setConfig(BoltConnector.advertised_address, new SocketAddress(HOST, port))
        .setConfig(BoltConnector.encryption_level, BoltConnector.EncryptionLevel.DISABLED)
        // Netty's default 5 s quiet period (on two event-loop groups) adds ~10 s to every shutdown.
        .setConfig(GraphDatabaseInternalSettings.netty_server_shutdown_quiet_period, 0)
        .setConfig(HttpConnector.enabled, false)
        .setConfig(HttpsConnector.enabled, false)
        .setConfig(GraphDatabaseSettings.auth_enabled, false)
        .setConfig(GraphDatabaseSettings.udc_enabled, false)
        // Modest memory and disk: small page cache, few small transaction log files.
        .setConfig(GraphDatabaseSettings.pagecache_memory, pagecache)
        .setConfig(GraphDatabaseSettings.keep_logical_logs, txLogRetention)
        .setConfig(GraphDatabaseSettings.logical_log_rotation_threshold, ByteUnit.mebiBytes(64))
        .setConfig(GraphDatabaseSettings.preallocate_logical_logs, false)
        // Embedded Neo4j registers procedures only from jars in the plugin folder, not the classpath.
        .setConfig(GraphDatabaseSettings.plugin_dir, pluginsDir)
        .setConfig(GraphDatabaseSettings.procedure_unrestricted, List.of("apoc.*"))
        .build();
  }

  private static void waitForBolt(int port, long timeoutMs) throws InterruptedException {
    long deadline = System.currentTimeMillis() + timeoutMs;
    while (true) {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress(HOST, port), 1000);
        return;
      } catch (IOException e) {
        if (System.currentTimeMillis() > deadline) fail("Bolt port " + port + " not accepting: " + e);
        Thread.sleep(100);
      }
    }
  }

  private static void fail(String message) {
    System.err.println("neo4j: " + message + "\n" + USAGE);
    System.exit(2);
  }
}
