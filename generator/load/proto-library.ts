import type { FileDescriptorProto } from "@bufbuild/protobuf/wkt";
import * as wkt from "@bufbuild/protobuf/wkt";
import { file_buf_validate_validate } from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";

/** Library files by import path, as the npm packages embed them (no source info). */
let byName: Map<string, FileDescriptorProto> | undefined;

/**
 * The descriptor of a library proto file a spec may import — the well-known types
 * (`google/protobuf/*.proto`, from @bufbuild/protobuf) and protovalidate's rules
 * (`buf/validate/validate.proto`, from @bufbuild/protovalidate, the same descriptor the
 * workspace's copy of the file is printed from) — or undefined for any other path.
 */
export function libraryFile(name: string): FileDescriptorProto | undefined {
  if (!byName) {
    byName = new Map();
    const files = Object.entries(wkt)
      .filter(([k]) => k.startsWith("file_"))
      .map(([, v]) => v as { proto: FileDescriptorProto });
    for (const f of [...files, file_buf_validate_validate]) byName.set(f.proto.name, f.proto);
  }
  return byName.get(name);
}
