/**
 * Protobuf scalar type keywords by `FieldDescriptorProto.Type` number (descriptor.proto
 * numbering). They are also protovalidate's rule family names (`FieldRules.type` cases).
 */
export const SCALAR_TYPE_NAMES: Readonly<Record<number, string>> = {
  1: "double",
  2: "float",
  3: "int64",
  4: "uint64",
  5: "int32",
  6: "fixed64",
  7: "fixed32",
  8: "bool",
  9: "string",
  12: "bytes",
  13: "uint32",
  15: "sfixed32",
  16: "sfixed64",
  17: "sint32",
  18: "sint64",
};
