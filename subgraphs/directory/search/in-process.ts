// The SearchBackend face of an index that lives in this process and works synchronously (the
// embedded index, Orama): async to honour the contract, and refusing use after close().
import {
  SearchBackendError,
  type BackendName,
  type LocalIndex,
  type SearchBackend,
  type SearchRequest,
  type SearchResult,
  type ServiceDoc,
} from "./types.ts";

export interface InProcessIndex {
  upsert(docs: ServiceDoc[]): void;
  remove(ids: string[]): void;
  get(ids: string[]): (ServiceDoc | null)[];
  idsByPartner(partner: string): string[];
  search(req: SearchRequest): SearchResult;
  readonly size: number;
  clear(): void;
  /** Present when the index also answers LocalIndex's questions (the embedded index). */
  select?: LocalIndex["select"];
}

export function inProcessBackend(name: BackendName, create: () => InProcessIndex): SearchBackend {
  let index: InProcessIndex | null = create();
  const open = () => {
    if (!index) throw new SearchBackendError("search backend is closed", name);
    return index;
  };
  return {
    name,
    local() {
      const i = open();
      return typeof i.select === "function" ? (i as InProcessIndex & LocalIndex) : null;
    },
    async upsert(docs) {
      open().upsert(docs);
    },
    async remove(ids) {
      open().remove(ids);
    },
    async get(ids) {
      return open().get(ids);
    },
    async idsByPartner(partner) {
      return open().idsByPartner(partner);
    },
    async search(req) {
      return open().search(req);
    },
    async count() {
      return open().size;
    },
    async clear() {
      open().clear();
    },
    async close() {
      index = null;
    },
  };
}
