export * from "./commander.js";
export * from "./errors.js";
export * from "./iot-data-transport.js";
export * from "./mqtt-transport.js";
export * from "./transport.js";
export * from "./queue-reply-transport.js";
