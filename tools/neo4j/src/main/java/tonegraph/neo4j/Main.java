package tonegraph.neo4j;

import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.connectors.HttpsConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;

/**
 * Runs Neo4j Community embedded with its Bolt connector on 127.0.0.1 and the
 * APOC core procedures, for Tonegraph's local stack. Prints
 * "neo4j ready bolt://127.0.0.1:PORT" once Bolt accepts connections and shuts
 * the database down cleanly on SIGTERM/SIGINT.
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) throws Exception {
    int boltPort = 7687;
    Path dataDir = null;
    long pageCacheMb = 128;
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      String value = i + 1 < args.length ? args[i + 1] : null;
      switch (arg) {
        case "--bolt-port" -> { boltPort = Integer.parseInt(require(arg, value)); i++; }
        case "--data-dir" -> { dataDir = Path.of(require(arg, value)).toAbsolutePath(); i++; }
        case "--pagecache-mb" -> { pageCacheMb = Long.parseLong(require(arg, value)); i++; }
        default -> fail("unknown argument " + arg + "\nusage: --data-dir DIR [--bolt-port 7687] [--pagecache-mb 128]");
      }
    }
    if (dataDir == null) fail("--data-dir is required");
    Files.createDirectories(dataDir);

    DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(dataDir)
        .setConfig(BoltConnector.enabled, true)
        .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", boltPort))
        .setConfig(BoltConnector.encryption_level, BoltConnector.EncryptionLevel.DISABLED)
        .setConfig(HttpConnector.enabled, false)
        .setConfig(HttpsConnector.enabled, false)
        .setConfig(GraphDatabaseSettings.auth_enabled, false)
        // Embedded Neo4j loads procedures only from the plugin folder, not the classpath.
        .setConfig(GraphDatabaseSettings.plugin_dir, pluginDir())
        .setConfig(GraphDatabaseSettings.procedure_unrestricted, List.of("apoc.*"))
        .setConfig(GraphDatabaseSettings.pagecache_memory, pageCacheMb * 1024 * 1024)
        .setConfig(GraphDatabaseSettings.keep_logical_logs, "100M size")
        .setConfig(GraphDatabaseSettings.logs_directory, dataDir.resolve("logs"))
        .build();

    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      dbms.shutdown();
      stopped.countDown();
    }, "neo4j-shutdown"));

    // build() returns once the default database is up; Bolt is listening by then.
    GraphDatabaseService db = dbms.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME);
    if (!db.isAvailable(60_000)) fail("the default database did not become available");
    PrintStream out = System.out;
    out.println("neo4j ready bolt://127.0.0.1:" + boltPort);
    out.flush();
    stopped.await();
  }

  /** The `plugins` folder beside the jar, where the build copies APOC. */
  private static Path pluginDir() throws URISyntaxException {
    Path jar = Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    return jar.getParent().resolve("plugins");
  }

  private static String require(String flag, String value) {
    if (value == null) fail(flag + " needs a value");
    return value;
  }

  private static void fail(String message) {
    System.err.println("neo4j: " + message);
    System.exit(2);
  }
}
