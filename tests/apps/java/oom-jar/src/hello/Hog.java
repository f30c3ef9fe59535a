package hello;

import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/** Serves on $PORT; GET /allocate keeps allocating 1 MiB arrays until the heap runs out. */
public class Hog {
    private static final List<byte[]> KEPT = new ArrayList<>();

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(System.getenv().getOrDefault("PORT", "8080"));
        HttpServer server = HttpServer.create(new InetSocketAddress(port), 0);
        server.createContext("/", exchange -> {
            boolean allocate = exchange.getRequestURI().getPath().equals("/allocate");
            byte[] body = (allocate ? "allocating past the heap\n" : "maxMemory=" + Runtime.getRuntime().maxMemory() + "\n").getBytes();
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
            if (allocate) {
                new Thread(() -> {
                    while (true) {
                        KEPT.add(new byte[1024 * 1024]);
                    }
                }).start();
            }
        });
        server.start();
        System.out.println("listening on " + port);
    }
}
