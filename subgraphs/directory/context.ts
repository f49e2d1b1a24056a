import type DataLoader from "dataloader";
import type { SearchBackend, ServiceDoc } from "./search/types.ts";
import type { DirectorySync } from "./sync.ts";
import type { Claims } from "../../platform/claims.ts";
import type { PartnerId } from "../../schema/vocabulary.ts";

export interface PostcodeLookup {
  resolve(
    postcode: string,
  ): Promise<{ lat: number; lng: number; postcode: string; localAuthorityCode?: string }>;
}

export interface DirectoryContext {
  backend: SearchBackend;
  sync: DirectorySync;
  postcodes: PostcodeLookup;
  /** Verified claims the gateway sent for this request. */
  claims?: Claims;
  /** This request's batched reads of index documents (the directory's copies). */
  docs?: DataLoader<string, ServiceDoc | null>;
  /** Where referral calls are relayed (each partner's GraphQL URL) and the secret that signs them. */
  referrals?: { partnerUrls: Record<PartnerId, string>; secret: string };
}
