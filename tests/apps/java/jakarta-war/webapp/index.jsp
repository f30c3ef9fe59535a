<%@ page contentType="text/html; charset=UTF-8" %>
<html><body>
<p>JSP rendered by <%= application.getServerInfo() %>: 6 x 7 = <%= 6 * 7 %></p>
</body></html>
