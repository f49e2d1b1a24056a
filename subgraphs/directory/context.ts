import type { SearchBackend } from "./search/types.ts";
import type { DirectorySync } from "./sync.ts";

export interface PostcodeLookup {
  resolve(postcode: string): Promise<{ lat: number; lng: number; postcode: string; localAuthorityCode?: string }>;
}

export interface DirectoryContext {
  backend: SearchBackend;
  sync: DirectorySync;
  postcodes: PostcodeLookup;
  /** Today's date (YYYY-MM-DD); tests fix it. Defaults to the real date. */
  today?: () => string;
}
