// Answers every request with a line that proves the npm dependency (ms) was installed during staging.
const http = require("http");
const ms = require("ms");

const port = Number(process.env.PORT || 8080);
const started = Date.now();
http
  .createServer((req, res) => {
    res.writeHead(200, { "content-type": "text/plain" });
    res.end(`Hello from Node ${process.version}; ms("2 days") = ${ms("2 days")}; up ${ms(Date.now() - started)}\n`);
  })
  .listen(port, () => console.log(`listening on ${port}`));
