import { pathToFileURL } from "node:url";
import { create, toBinary, type DescFile } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { file_zitadel_management } from "@zitadel/proto/zitadel/management_pb.js";

/**
 * The descriptors idledger serves, as a FileDescriptorSet with every import (a "protoset"), for
 * tools without server reflection: `grpcurl -protoset zitadel.protoset ...`.
 */
export function managementProtoset(): Uint8Array {
  const files = new Map<string, DescFile>();
  const add = (file: DescFile) => {
    if (files.has(file.name)) return;
    file.dependencies.forEach(add);
    files.set(file.name, file);
  };
  add(file_zitadel_management);
  return toBinary(FileDescriptorSetSchema, create(FileDescriptorSetSchema, { file: [...files.values()].map((file) => file.proto) }));
}

// `node dist/src/api/connect/protoset.js > zitadel.protoset`
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.stdout.write(managementProtoset());
}
