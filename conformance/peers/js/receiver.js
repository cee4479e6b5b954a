"use strict";
// The CloudEvents JavaScript SDK (npm cloudevents, see package.json) as a
// conformance peer: an HTTP receiver that answers every event with that
// event (an echo), so the conformance suite sees what the SDK decoded and
// how it encodes a reply.
//
//   node receiver.js [--port N]
//
// It listens on 127.0.0.1 (port 0, any free one, unless --port says
// otherwise), prints one line, READY http://127.0.0.1:PORT/, on stdout,
// and serves until SIGTERM or SIGINT.
//
// It is written as the SDK's README shows a receiver, with Node's own http
// module in place of a web framework: for each POST the headers and the
// body (read whole and decoded as UTF-8 text, as a framework's text body
// parser does) go to HTTP.toEvent, and nothing is checked or changed here:
//
//   - toEvent throws (the SDK refuses the request): 400, the error's text;
//   - toEvent returns an array (a batch): 202, no body;
//   - toEvent returns one event: 200 with HTTP.binary(event), its headers
//     as they are and its body written as Node needs it (see writeBody).
//     Should Node refuse to write what the SDK made (a header value Node
//     does not allow): 500, Node's error text.
//
// Other methods, OPTIONS included, get 405: the SDK has no web-hook
// handshake and this receiver adds none.

const http = require("node:http");
const { HTTP } = require("cloudevents");

// bodyLimit bounds a request body; the suite's largest is far smaller.
const bodyLimit = 16 << 20;

function parsePort(argv) {
  let port = "0";
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--port" && i + 1 < argv.length) {
      port = argv[++i];
    } else if (arg.startsWith("--port=")) {
      port = arg.slice("--port=".length);
    } else {
      throw new Error(`unknown argument ${JSON.stringify(arg)}; usage: node receiver.js [--port N]`);
    }
  }
  const n = Number(port);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new Error(`--port ${JSON.stringify(port)} is not a port number`);
  }
  return n;
}

// writeBody turns the body of the SDK's Message into what a Node response
// takes. The SDK leaves a string, a JSON text, a typed array (binary data;
// for data_base64 received in structured mode a Uint32Array holding one
// byte per element) or, for a JSON scalar other than a string, the value
// itself; Node takes strings and byte arrays only.
function writeBody(body) {
  if (body === undefined || body === null) {
    return undefined;
  }
  if (typeof body === "string" || Buffer.isBuffer(body)) {
    return body;
  }
  if (ArrayBuffer.isView(body)) {
    // Element by element, so a Uint32Array of bytes gives those bytes.
    return Buffer.from(body);
  }
  return String(body);
}

function answer(res, status, text) {
  res.statusCode = status;
  if (text !== undefined) {
    res.setHeader("Content-Type", "text/plain; charset=utf-8");
    res.end(text);
  } else {
    res.end();
  }
}

function errorText(err) {
  const name = err && err.constructor && err.constructor.name ? err.constructor.name : "Error";
  return `${name}: ${err && err.message !== undefined ? err.message : String(err)}\n`;
}

function handle(req, res, raw) {
  const body = raw.toString("utf8");
  let received;
  try {
    received = HTTP.toEvent({ headers: req.headers, body });
  } catch (err) {
    answer(res, 400, errorText(err));
    return;
  }
  if (Array.isArray(received)) {
    answer(res, 202);
    return;
  }
  try {
    const reply = HTTP.binary(received);
    res.statusCode = 200;
    for (const [name, value] of Object.entries(reply.headers)) {
      res.setHeader(name, value);
    }
    res.end(writeBody(reply.body));
  } catch (err) {
    if (res.headersSent) {
      res.destroy(err);
      return;
    }
    for (const name of res.getHeaderNames()) {
      res.removeHeader(name);
    }
    answer(res, 500, errorText(err));
  }
}

function main() {
  let port;
  try {
    port = parsePort(process.argv.slice(2));
  } catch (err) {
    console.error(`receiver: ${err.message}`);
    process.exit(2);
  }

  const server = http.createServer((req, res) => {
    if (req.method !== "POST") {
      res.setHeader("Allow", "POST");
      answer(res, 405);
      req.resume();
      return;
    }
    const chunks = [];
    let size = 0;
    let tooLarge = false;
    req.on("data", (chunk) => {
      size += chunk.length;
      if (size > bodyLimit) {
        tooLarge = true;
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      if (tooLarge) {
        answer(res, 413, `request body over ${bodyLimit} bytes\n`);
        return;
      }
      handle(req, res, Buffer.concat(chunks));
    });
    req.on("error", () => res.destroy());
  });

  server.on("error", (err) => {
    console.error(`receiver: ${err.message}`);
    process.exit(1);
  });

  server.listen(port, "127.0.0.1", () => {
    const { port: bound } = server.address();
    process.stdout.write(`READY http://127.0.0.1:${bound}/\n`);
  });

  const stop = () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
    // Connections still open after 5 s do not hold the exit.
    setTimeout(() => process.exit(0), 5000).unref();
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main();
