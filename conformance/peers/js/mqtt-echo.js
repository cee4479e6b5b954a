"use strict";
// The CloudEvents JavaScript SDK (npm cloudevents) with the mqtt npm
// client (see package.json) as a conformance echo over MQTT: it answers
// every event published on a topic with that event, so the suite sees
// what the SDK decoded and how it encodes.
//
//   node mqtt-echo.js --broker tcp://127.0.0.1:1883 --topic T [--reply-topic R]
//
// It connects with MQTT 5.0, subscribes to T (QoS 1), prints one line,
// READY, on stdout once subscribed, and runs until SIGTERM or SIGINT.
// For each message the Message the SDK reads is built from the PUBLISH as
// it arrives: its Content Type property, its user properties as the
// headers, and its payload as UTF-8 text (the SDK's MQTT.toEvent parses a
// structured payload only from a string), then MQTT.toEvent with its
// defaults, then MQTT.binary of the result, published (see
// mqtt-common.js) on the request's Response Topic, or on R when given.
// A message the SDK refuses (toEvent throws) gets no answer: MQTT has no
// way to tell the publisher, and the error goes to stderr.

const mqtt = require("mqtt");
const { MQTT } = require("cloudevents");
const { payloadOf, publishOptions } = require("./mqtt-common.js");

function parseArgs(argv) {
  const args = {};
  for (let i = 0; i < argv.length; i++) {
    const [name, inline] = argv[i].split(/=(.*)/s, 2);
    if (!["--broker", "--topic", "--reply-topic"].includes(name)) {
      throw new Error(`unknown argument ${JSON.stringify(argv[i])}; usage: node mqtt-echo.js --broker URL --topic T [--reply-topic R]`);
    }
    const value = inline !== undefined ? inline : argv[++i];
    if (value === undefined) {
      throw new Error(`${name} needs a value`);
    }
    args[name.slice(2)] = value;
  }
  if (!args.broker || !args.topic) {
    throw new Error("--broker and --topic are required");
  }
  return args;
}

async function main() {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`mqtt-echo: ${err.message}`);
    process.exit(2);
  }
  const client = await mqtt.connectAsync(args.broker, { protocolVersion: 5, reconnectPeriod: 0, connectTimeout: 10000 });
  client.on("message", (topic, payload, packet) => {
    const properties = packet.properties || {};
    const replyTo = args["reply-topic"] || properties.responseTopic;
    let reply;
    try {
      const received = MQTT.toEvent({
        PUBLISH: { "Content Type": properties.contentType },
        headers: properties.userProperties || {},
        body: payload.toString("utf8"),
      });
      reply = MQTT.binary(received);
    } catch (err) {
      console.error(`mqtt-echo: a message on ${topic}: the SDK refuses it: ${err.message}`);
      return;
    }
    if (!replyTo) {
      console.error(`mqtt-echo: a message on ${topic} has no Response Topic and there is no --reply-topic`);
      return;
    }
    client.publishAsync(replyTo, payloadOf(reply.body), publishOptions(reply, true)).catch((err) => {
      console.error(`mqtt-echo: reply to ${replyTo}: ${err.message}`);
    });
  });
  await client.subscribeAsync(args.topic, { qos: 1 });
  process.stdout.write("READY\n");
  const stop = () => {
    client.endAsync().then(() => process.exit(0), () => process.exit(0));
    setTimeout(() => process.exit(0), 5000).unref();
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main().catch((err) => {
  console.error(`mqtt-echo: ${err.message}`);
  process.exit(1);
});
