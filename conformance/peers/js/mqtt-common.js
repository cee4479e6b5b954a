"use strict";
// What the MQTT peers share: turning the Message the SDK's MQTT binding
// makes into what the mqtt npm client publishes. The SDK leaves user
// properties as the event's own values (numbers and booleans included)
// and a body that is a string, a byte array, or, for JSON data and a
// structured event, the value itself; an MQTT 5.0 user property is a
// string and a payload is bytes, so values are written with String() and
// a body that is neither string nor bytes with JSON.stringify. Nothing
// else is checked or changed.

function payloadOf(body) {
  if (body === undefined || body === null) {
    return "";
  }
  if (typeof body === "string" || Buffer.isBuffer(body)) {
    return body;
  }
  if (ArrayBuffer.isView(body)) {
    return Buffer.from(body);
  }
  return JSON.stringify(body);
}

// publishOptions returns the mqtt client's options for the SDK's Message:
// QoS 1 and, with MQTT 5.0, its Content Type and user properties.
function publishOptions(message, version5) {
  const options = { qos: 1 };
  if (!version5) {
    return options;
  }
  const properties = {};
  const contentType = message.PUBLISH && message.PUBLISH["Content Type"];
  if (contentType !== undefined) {
    properties.contentType = contentType;
  }
  const user = {};
  for (const [name, value] of Object.entries(message.headers || {})) {
    if (value !== undefined) {
      user[name] = String(value);
    }
  }
  if (Object.keys(user).length > 0) {
    properties.userProperties = user;
  }
  options.properties = properties;
  return options;
}

module.exports = { payloadOf, publishOptions };
