// Server-side sessions: the browser holds only a random id in an httpOnly, SameSite=Lax cookie; the
// access token stays here. In memory, so one web process (documented in web/README.md).
import { randomBytes } from "node:crypto";
import type http from "node:http";

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

export class SessionStore {
  private readonly sessions = new Map<string, Session>();
  constructor(
    private readonly ttlSeconds: number,
    private readonly secure: boolean,
  ) {}

  get(req: http.IncomingMessage): Session | undefined {
    const id = readCookie(req, SESSION_COOKIE);
    if (!id) return undefined;
    const s = this.sessions.get(id);
    if (!s) return undefined;
    if (s.expiresAt < Date.now()) {
      this.sessions.delete(id);
      return undefined;
    }
    return s;
  }

  /**
   * A fresh session with a new id (on every sign-in, so a planted id is never promoted). It ends
   * after the configured lifetime, or when its access token expires if that is sooner.
   */
  create(
    res: http.ServerResponse,
    data: Omit<Session, "id" | "expiresAt"> & { expiresAt?: number },
  ): Session {
    this.sweep();
    const { expiresAt: tokenExpiry, ...rest } = data;
    const expiresAt = Math.min(Date.now() + this.ttlSeconds * 1000, tokenExpiry ?? Infinity);
    const s: Session = { ...rest, id: randomBytes(32).toString("base64url"), expiresAt };
    this.sessions.set(s.id, s);
    const maxAge = Math.max(0, Math.floor((expiresAt - Date.now()) / 1000));
    res.appendHeader("set-cookie", this.cookie(s.id, maxAge));
    return s;
  }

  destroy(req: http.IncomingMessage, res: http.ServerResponse) {
    const id = readCookie(req, SESSION_COOKIE);
    if (id) this.sessions.delete(id);
    res.appendHeader("set-cookie", this.cookie("", 0));
  }

  private cookie(value: string, maxAge: number) {
    return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAge}${this.secure ? "; Secure" : ""}`;
  }

  private sweep() {
    const now = Date.now();
    for (const [id, s] of this.sessions) if (s.expiresAt < now) this.sessions.delete(id);
  }
}

export function readCookie(req: http.IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const [k, ...v] = part.trim().split("=");
    if (k === name) return v.join("=");
  }
  return undefined;
}
