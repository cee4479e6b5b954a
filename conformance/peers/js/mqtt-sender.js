"use strict";
// The CloudEvents JavaScript SDK (npm cloudevents) with the mqtt npm
// client (see package.json) as a conformance sender over MQTT.
//
// The MQTT sender contract (spec/conformance-contract.md): the suite
// starts the sender with
//
//   - CE_CONFORMANCE_TARGET: the broker's URL (tcp://host:port);
//   - CE_CONFORMANCE_TOPIC: the topic to publish on;
//   - CE_CONFORMANCE_MQTT_VERSION: 5.0 or 3.1.1;
//   - CE_CONFORMANCE_EVENTS: a file holding a JSON array of events in the
//     JSON format;
//   - CE_CONFORMANCE_MODE: binary or structured (always structured with
//     3.1.1).
//
// It publishes every event of the file, in order, one PUBLISH each with
// QoS 1, waits for the broker's acknowledgement of each and exits 0. An
// event the SDK refuses is reported on stderr and skipped; the exit status
// is non-zero only for a setup failure (bad environment, unreadable file,
// broker refusing the connection).
//
// Each event becomes `new CloudEvent(attributes)`, then MQTT.binary or
// MQTT.structured, published as mqtt-common.js describes.

const fs = require("node:fs");
const mqtt = require("mqtt");
const { CloudEvent, MQTT } = require("cloudevents");
const { payloadOf, publishOptions } = require("./mqtt-common.js");

class SetupError extends Error {}

function config() {
  const broker = process.env.CE_CONFORMANCE_TARGET;
  const topic = process.env.CE_CONFORMANCE_TOPIC;
  const version = process.env.CE_CONFORMANCE_MQTT_VERSION;
  const file = process.env.CE_CONFORMANCE_EVENTS;
  const mode = process.env.CE_CONFORMANCE_MODE;
  if (!broker || !topic || !file) {
    throw new SetupError("CE_CONFORMANCE_TARGET, CE_CONFORMANCE_TOPIC and CE_CONFORMANCE_EVENTS must be set");
  }
  if (version !== "5.0" && version !== "3.1.1") {
    throw new SetupError(`CE_CONFORMANCE_MQTT_VERSION is ${JSON.stringify(version)}, want 5.0 or 3.1.1`);
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
  return { broker, topic, version5: version === "5.0", mode, events };
}

async function main() {
  const { broker, topic, version5, mode, events } = config();
  let client;
  try {
    client = await mqtt.connectAsync(broker, { protocolVersion: version5 ? 5 : 4, reconnectPeriod: 0, connectTimeout: 10000 });
  } catch (err) {
    throw new SetupError(`${broker}: ${err.message}`);
  }
  try {
    for (const [i, attributes] of events.entries()) {
      let message;
      try {
        const event = new CloudEvent(attributes);
        message = mode === "binary" ? MQTT.binary(event) : MQTT.structured(event);
      } catch (err) {
        console.error(`sender: event ${i}: the SDK refuses it: ${err.message}`);
        continue;
      }
      try {
        await client.publishAsync(topic, payloadOf(message.body), publishOptions(message, version5));
      } catch (err) {
        console.error(`sender: event ${i}: not published: ${err.message}`);
      }
    }
  } finally {
    await client.endAsync();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`sender: ${err instanceof SetupError ? err.message : err.stack || err}`);
    process.exit(1);
  },
);
