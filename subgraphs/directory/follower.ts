// What a follower of the directory may use: the pieces that let another process keep its own copy
// of the directory's index and plan routes over it exactly as the directory does. The gateway's
// route replica (gateway/route-replica.ts) is the one follower; it imports the directory through
// this file only.
export { DirectorySync } from "./sync.ts";
export { createEmbeddedBackend } from "./search/embedded.ts";
export { createPostcodeResolver } from "./postcodes.ts";
export { buildDirectorySchema } from "./server.ts";
export { planRoute, type RouteContext } from "./route/route.resolver.ts";
export { resolveByIdPrefix } from "./types/entities.ts";
