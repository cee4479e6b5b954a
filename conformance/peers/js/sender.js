"use strict";
// The CloudEvents JavaScript SDK (npm cloudevents, see package.json) as a
// conformance sender peer.
//
// The sender contract, shared by every sender peer: the conformance suite
// starts the sender with three environment variables,
//
//   - CE_CONFORMANCE_TARGET: the URL to POST to;
//   - CE_CONFORMANCE_EVENTS: the path of a file holding a JSON array of
//     events in the CloudEvents JSON format (each with specversion, id, ...
//     and optionally data or data_base64);
//   - CE_CONFORMANCE_MODE: binary or structured.
//
// The sender sends every event of the file, in order, one HTTP request
// each, in that content mode, and waits for each answer. It exits 0 once
// all were sent. An event the SDK refuses to build or to send is reported
// on stderr and skipped; the exit status is non-zero only for a setup
// failure (bad environment, unreadable file, target refusing connections).
//
// Here each event of the file becomes `new CloudEvent(attributes)`, with
// whatever the SDK does by itself (validation, a time or an id where the
// file has none), then HTTP.binary or HTTP.structured, then Node's global
// fetch with the Message's headers and body as they are.
//
//   CE_CONFORMANCE_TARGET=... CE_CONFORMANCE_EVENTS=... CE_CONFORMANCE_MODE=binary node sender.js

const fs = require("node:fs");
const { CloudEvent, HTTP } = require("cloudevents");

// requestTimeout bounds one request and its answer, in milliseconds.
const requestTimeout = 30000;

class SetupError extends Error {}

function config() {
  const target = process.env.CE_CONFORMANCE_TARGET;
  const file = process.env.CE_CONFORMANCE_EVENTS;
  const mode = process.env.CE_CONFORMANCE_MODE;
  if (!target || !file) {
    throw new SetupError("CE_CONFORMANCE_TARGET and CE_CONFORMANCE_EVENTS must be set");
  }
  if (mode !== "binary" && mode !== "structured") {
    throw new SetupError(`CE_CONFORMANCE_MODE is ${JSON.stringify(mode)}, want binary or structured`);
  }
  let events;
  try {
    events = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw new SetupError(`${file}: ${err.message}`);
  }
  if (!Array.isArray(events)) {
    throw new SetupError(`${file}: not a JSON array`);
  }
  return { target, mode, events };
}

// refused reports whether a fetch failure means nothing listens at the
// target: a setup failure, unlike a request the stack would not send.
function refused(err) {
  const cause = err && err.cause;
  return Boolean(cause && (cause.code === "ECONNREFUSED" || (cause.errors || []).some((e) => e.code === "ECONNREFUSED")));
}

async function send(target, message) {
  const res = await fetch(target, {
    method: "POST",
    headers: message.headers,
    body: message.body,
    signal: AbortSignal.timeout(requestTimeout),
  });
  await res.arrayBuffer();
  return res.status;
}

async function main() {
  const { target, mode, events } = config();
  for (const [i, attributes] of events.entries()) {
    let message;
    try {
      const event = new CloudEvent(attributes);
      message = mode === "binary" ? HTTP.binary(event) : HTTP.structured(event);
    } catch (err) {
      console.error(`sender: event ${i}: the SDK refuses it: ${err.message}`);
      continue;
    }
    try {
      const status = await send(target, message);
      if (status < 200 || status > 299) {
        console.error(`sender: event ${i}: answered ${status}`);
      }
    } catch (err) {
      if (refused(err)) {
        throw new SetupError(`event ${i}: ${target} refuses connections`);
      }
      const cause = err.cause ? ` (${err.cause.message || err.cause})` : "";
      console.error(`sender: event ${i}: not sent: ${err.message}${cause}`);
    }
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`sender: ${err instanceof SetupError ? err.message : err.stack || err}`);
    process.exit(1);
  },
);
