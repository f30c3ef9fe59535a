package hello;

import java.io.IOException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpSession;

/** Says which servlet API and container serve it; /hello/session counts visits in an HTTP session. */
@jakarta.servlet.annotation.WebServlet("/hello/*")
public class HelloServlet extends HttpServlet {
    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        response.setContentType("text/plain");
        String instance = System.getenv("CF_INSTANCE_INDEX");
        if ("/session".equals(request.getPathInfo())) {
            HttpSession session = request.getSession(true);
            Integer visits = (Integer) session.getAttribute("visits");
            visits = visits == null ? 1 : visits + 1;
            session.setAttribute("visits", visits);
            response.getWriter().println("instance=" + instance + " visits=" + visits);
            return;
        }
        response.getWriter().println("Hello from jakarta.servlet on " + getServletContext().getServerInfo()
            + ", instance " + instance + ", max heap " + Runtime.getRuntime().maxMemory());
    }
}
