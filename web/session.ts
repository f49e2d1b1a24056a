// Server-side sessions: the browser holds only a random id in an httpOnly, SameSite=Lax cookie; the
// access token stays on the server. In the web process's memory by default; with REDIS_URL in
// Redis, so every gateway replica serving the web app knows every session.
import { randomBytes } from "node:crypto";
import type http from "node:http";
import { Redis } from "ioredis";

export const SESSION_COOKIE = "wayfinder_session";

export interface Session {
  id: string;
  expiresAt: number;
  /** Bearer token sent to the gateway; absent while signed out. */
  token?: string;
  user?: { sub: string; role: string; partner?: string | null; name?: string };
  /** OIDC sign-in under way: PKCE verifier, state and nonce until the callback. */
  pending?: { verifier: string; state: string; nonce: string; returnTo: string };
  idToken?: string;
}

/** Where sessions are kept, by id. */
export interface SessionBackend {
  get(id: string): Promise<Session | undefined>;
  set(session: Session): Promise<void>;
  delete(id: string): Promise<void>;
  close(): Promise<void>;
}

export class MemorySessions implements SessionBackend {
  private readonly sessions = new Map<string, Session>();
  async get(id: string) {
    return this.sessions.get(id);
  }
  async set(s: Session) {
    // Expired sessions go when a new one is made, so the map never grows without bound.
    const now = Date.now();
    for (const [id, old] of this.sessions) if (old.expiresAt < now) this.sessions.delete(id);
    this.sessions.set(s.id, s);
  }
  async delete(id: string) {
    this.sessions.delete(id);
  }
  async close() {}
}

/**
 * Sessions in Redis, one key per session that expires with it. While Redis cannot be reached, a
 * request finds no session (the visitor sees the public directory) and signing in fails with an
 * error page; nothing falls back to one replica's memory, which the others could not see.
 */
export class RedisSessions implements SessionBackend {
  private readonly client: Redis;
  private readonly prefix: string;
  constructor(url: string, keyPrefix = "wayfinder:web:session:") {
    this.prefix = keyPrefix;
    this.client = new Redis(url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2_000,
      commandTimeout: 1_000,
    });
    let warnedAt = 0;
    this.client.on("error", (err: Error) => {
      if (Date.now() - warnedAt < 30_000) return;
      warnedAt = Date.now();
      console.error(`web: session store unavailable: ${err.message}`);
    });
  }
  async get(id: string) {
    try {
      const raw = await this.client.get(this.prefix + id);
      return raw ? (JSON.parse(raw) as Session) : undefined;
    } catch {
      return undefined;
    }
  }
  async set(s: Session) {
    const ttl = Math.max(1, s.expiresAt - Date.now());
    await this.client.set(this.prefix + s.id, JSON.stringify(s), "PX", ttl);
  }
  async delete(id: string) {
    await this.client.del(this.prefix + id).catch(() => undefined);
  }
  async close() {
    this.client.disconnect();
  }
}

export class SessionStore {
  constructor(
    private readonly ttlSeconds: number,
    private readonly secure: boolean,
    private readonly backend: SessionBackend = new MemorySessions(),
  ) {}

  async get(req: http.IncomingMessage): Promise<Session | undefined> {
    const id = readCookie(req, SESSION_COOKIE);
    if (!id || !/^[A-Za-z0-9_-]{43}$/.test(id)) return undefined;
    const s = await this.backend.get(id);
    if (!s) return undefined;
    if (s.expiresAt < Date.now()) {
      await this.backend.delete(id);
      return undefined;
    }
    return s;
  }

  /**
   * A fresh session with a new id (on every sign-in, so a planted id is never promoted). It ends
   * after the configured lifetime, or when its access token expires if that is sooner.
   */
  async create(
    res: http.ServerResponse,
    data: Omit<Session, "id" | "expiresAt"> & { expiresAt?: number },
  ): Promise<Session> {
    const { expiresAt: tokenExpiry, ...rest } = data;
    const expiresAt = Math.min(Date.now() + this.ttlSeconds * 1000, tokenExpiry ?? Infinity);
    const s: Session = { ...rest, id: randomBytes(32).toString("base64url"), expiresAt };
    await this.backend.set(s);
    const maxAge = Math.max(0, Math.floor((expiresAt - Date.now()) / 1000));
    res.appendHeader("set-cookie", this.cookie(s.id, maxAge));
    return s;
  }

  async destroy(req: http.IncomingMessage, res: http.ServerResponse) {
    const id = readCookie(req, SESSION_COOKIE);
    if (id) await this.backend.delete(id);
    res.appendHeader("set-cookie", this.cookie("", 0));
  }

  close() {
    return this.backend.close();
  }

  private cookie(value: string, maxAge: number) {
    return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAge}${this.secure ? "; Secure" : ""}`;
  }
}

export function readCookie(req: http.IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const [k, ...v] = part.trim().split("=");
    if (k === name) return v.join("=");
  }
  return undefined;
}
