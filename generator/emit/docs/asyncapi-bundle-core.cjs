/* global require, module */
// The bundled contract's YAML edit: the contract's `yaml` document with each message's payload
// replaced by its inline protobuf schema, printed back (comments and key order kept). Plain
// CommonJS so that the YAML worker thread (load/yaml-positions.ts), which has already parsed the
// contract to index its positions, and this thread run the same code on the same kind of document.
"use strict";
// eslint-disable-next-line @typescript-eslint/no-require-imports -- plain CommonJS, see above
const { isMap, parseDocument, Scalar, YAMLMap } = require("yaml");

/**
 * `doc` (a parsed `yaml` Document, modified in place) with `components.messages.<id>.payload`
 * set to `{ schemaFormat, schema: <block literal> }` for each payload, as text. Throws when the
 * document has errors or a message is not a map.
 */
function bundleDocument(doc, payloads, schemaFormat) {
  if (doc.errors.length > 0)
    throw new Error(`asyncapi text does not parse: ${doc.errors[0].message}`);
  for (const { id, schema } of payloads) {
    const node = doc.getIn(["components", "messages", id], true);
    if (!isMap(node)) throw new Error(`components.messages.${id} is not a map in the contract`);
    const text = new Scalar(schema);
    text.type = Scalar.BLOCK_LITERAL;
    const payload = new YAMLMap();
    payload.set("schemaFormat", schemaFormat);
    payload.set("schema", text);
    node.set("payload", payload);
  }
  return doc.toString({ lineWidth: 0 });
}

/** {@link bundleDocument} of the contract `text`, parsed here. */
function bundleContract(text, payloads, schemaFormat) {
  return bundleDocument(parseDocument(text), payloads, schemaFormat);
}

module.exports = { bundleContract, bundleDocument };
