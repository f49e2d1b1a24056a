// Builds a partner subgraph (schema + Apollo Server) without listening; start() listens.
import "reflect-metadata";
import type { GraphQLSchema } from "graphql";
import type { NonEmptyArray } from "type-graphql";
import type { PartnerId } from "../../schema/vocabulary.ts";
import { PARTNER_INFO } from "../../schema/vocabulary.ts";
import { buildFederatedSchema } from "./federation.ts";
import { createPartnerLoaders, type BatchObserver } from "./loaders.ts";
import { partnerReferenceResolvers, type PartnerContext } from "./partner.types.ts";
import { feedRoute, inventoryRoute } from "./feed.ts";
import { IMPORT_PATH, adminImportRoute } from "./admin.import.ts";
import { requireScope, type Route, type RunningHttp } from "../../platform/http.ts";
import { serveSubgraph } from "./serve.ts";
import { isOperator } from "../../platform/operator.ts";
import type { Db } from "./db/db.ts";
import { createReferralCipher } from "./referral/referral.crypto.ts";
import { createReferralService } from "./referral/referral.service.ts";
import { referralRoute } from "./referral/referral.route.ts";
import { createWebhooks } from "./referral/referral.webhooks.ts";
import { REFERRALS_PATH } from "./referral/referral.wire.ts";
import { log } from "../../platform/log.ts";

export interface PartnerServerOptions {
  partner: PartnerId;
  db: Db;
  resolvers: NonEmptyArray<Function>;
  orphanedTypes?: Function[];
  /** Extra __resolveReference resolvers (e.g. a charity's fields on council services). */
  referenceResolvers?: Record<
    string,
    { __resolveReference: (ref: { id: string }, ctx: PartnerContext) => unknown }
  >;
  /** Extra context a partner's own resolvers need (e.g. its own loaders). */
  extendContext?: (ctx: PartnerContext) => Record<string, unknown>;
  observeBatches?: BatchObserver;
}

export interface PartnerListen {
  host: string;
  port: number;
  /** Secret of the gateway's claims header (INTERNAL_SECRET), from the process's config; no default. */
  internalSecret: string;
  /** OPERATOR_TOKEN: opens /metrics and /ready's detail; unset keeps them closed. */
  operatorToken?: string;
  /** Referrals (REFERRAL_ENCRYPTION_KEY, REFERRAL_RETENTION_DAYS); without them /referrals answers 503. */
  referrals?: ReferralSettings;
}

export interface ReferralSettings {
  /** AES-256-GCM key for the personal data of referrals (32 bytes); no default below config. */
  encryptionKey: Buffer;
  /** Closed referrals lose their personal data this many days after closing. */
  retentionDays: number;
  /** The clock referrals are timed by (due times, overdue, retention); tests inject their own. */
  now?: () => Date;
  /** First webhook retry after this long, doubling each time (default 30 s). */
  webhookRetryBaseMs?: number;
  /** How often retention runs (default hourly). */
  purgeIntervalMs?: number;
}

/** How often retention runs in a partner process. */
export const RETENTION_INTERVAL_MS = 60 * 60 * 1000;

export interface PartnerServer {
  partner: PartnerId;
  schema: GraphQLSchema;
  start(opts: PartnerListen): Promise<RunningHttp>;
}

export async function createPartnerServer(opts: PartnerServerOptions): Promise<PartnerServer> {
  const { partner, db } = opts;
  const feed = feedRoute(db, partner);
  const schema = await buildFederatedSchema(
    { resolvers: opts.resolvers, orphanedTypes: opts.orphanedTypes ?? [] },
    {
      ...partnerReferenceResolvers(partner, PARTNER_INFO[partner].typePrefix),
      ...opts.referenceResolvers,
    },
  );
  const routes = (
    secret: string,
    operatorToken: string | undefined,
    referrals: ReturnType<typeof createReferralService> | null,
  ): Record<string, Route> => ({
    "/health": async () => ({ status: 200, body: { status: "ok", partner } }),
    "/ready": async (req) => {
      try {
        await db.query("SELECT 1");
        return { status: 200, body: { status: "ready", partner, database: db.kind } };
      } catch (err) {
        // The database's message names hosts and users: operators only.
        const detail = isOperator(req, operatorToken) ? { error: String(err) } : {};
        return {
          status: 503,
          body: { status: "unavailable", partner, reason: "DATABASE_UNAVAILABLE", ...detail },
        };
      }
    },
    "/changes": requireScope(feed, "service:sync", secret, partner),
    "/changes/inventory": requireScope(
      inventoryRoute(db, partner),
      "service:sync",
      secret,
      partner,
    ),
    [IMPORT_PATH]: adminImportRoute(db, partner, secret),
    [REFERRALS_PATH]: referralRoute(partner, secret, referrals),
  });
  return {
    partner,
    schema,
    async start({ host, port, internalSecret, operatorToken, referrals: settings }) {
      if (!internalSecret)
        throw new Error(`${partner}: start() needs internalSecret (INTERNAL_SECRET)`);
      const cipher = settings ? createReferralCipher(settings.encryptionKey) : null;
      const now = settings?.now ?? (() => new Date());
      const webhooks = cipher
        ? createWebhooks({ partner, db, cipher, now, retryBaseMs: settings!.webhookRetryBaseMs })
        : null;
      const referrals = cipher
        ? createReferralService({ partner, db, cipher, now, webhooks: webhooks! })
        : null;
      await webhooks?.start();
      const purge = async () => {
        try {
          const purged = await referrals!.purge(settings!.retentionDays);
          if (purged) log("info", "referrals_purged", { partner, purged });
        } catch (err) {
          log("error", "referral_purge_failed", { partner, error: String(err) });
        }
      };
      const timer = referrals
        ? setInterval(purge, settings!.purgeIntervalMs ?? RETENTION_INTERVAL_MS)
        : null;
      timer?.unref();
      if (referrals) void purge();
      const http = await serveSubgraph({
        name: partner,
        schema,
        service: partner,
        host,
        port,
        secret: internalSecret,
        operatorToken,
        routes: routes(internalSecret, operatorToken, referrals),
        context: (claims) => {
          const ctx: PartnerContext = {
            partner,
            db,
            claims,
            loaders: createPartnerLoaders(db, partner, opts.observeBatches),
          };
          return { ...ctx, ...opts.extendContext?.(ctx) } as PartnerContext;
        },
      });
      return {
        ...http,
        async close() {
          if (timer) clearInterval(timer);
          await webhooks?.stop();
          await http.close();
        },
      };
    },
  };
}
