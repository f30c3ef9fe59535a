package hello;

import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/** A tiny HTTP server on $PORT that reports the JVM's max heap and how it was started. */
public class Server {
    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(System.getenv().getOrDefault("PORT", "8080"));
        String startedWith = args.length == 0 ? "Main-Class" : String.join(" ", args);
        HttpServer server = HttpServer.create(new InetSocketAddress(port), 0);
        server.createContext("/", exchange -> {
            byte[] body = ("maxMemory=" + Runtime.getRuntime().maxMemory() + "\nstartedWith=" + startedWith
                + "\njavaVersion=" + System.getProperty("java.version") + "\n").getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        System.out.println("listening on " + port + ", started with " + startedWith);
    }
}
