/**
 * Which SPs hold a session opened through a hub session, and under which NameID and
 * SessionIndex: what single logout tells them. Kept in the ephemeral store (Redis in
 * production, shared by every node) under the hub session's stable id, for the hub session's
 * lifetime; one entry per SP (the latest response's).
 */
import { randomBytes } from 'node:crypto';
import type { EphemeralStore } from '../../storage/ports/ephemeral.js';

export interface SpSession {
  sp: string;
  /** As the assertion stated it (a LogoutRequest must name it the same way). */
  nameId: { value: string; format: string; spNameQualifier?: string };
  sessionIndex: string;
}

const keyOf = (hubSessionId: string): string => `saml-idp:sp-sessions:${hubSessionId}`;

/** A SessionIndex: opaque, unguessable, different for every response. */
export const newSessionIndex = (): string => `_${randomBytes(16).toString('hex')}`;

export class SpSessions {
  /** `ttlSeconds`: the hub session's lifetime. */
  constructor(private readonly ephemeral: EphemeralStore, private readonly ttlSeconds: number) {}

  async list(hubSessionId: string): Promise<SpSession[]> {
    const raw = await this.ephemeral.get(keyOf(hubSessionId));
    return raw ? (JSON.parse(raw) as SpSession[]) : [];
  }

  /** Records `session` (replacing the SP's earlier one). */
  async join(hubSessionId: string, session: SpSession): Promise<void> {
    const others = (await this.list(hubSessionId)).filter((s) => s.sp !== session.sp);
    await this.ephemeral.put(keyOf(hubSessionId), JSON.stringify([...others, session]), this.ttlSeconds);
  }

  /** Forgets the SP's session (it ended it itself). */
  async leave(hubSessionId: string, sp: string): Promise<void> {
    const staying = (await this.list(hubSessionId)).filter((s) => s.sp !== sp);
    if (staying.length > 0) await this.ephemeral.put(keyOf(hubSessionId), JSON.stringify(staying), this.ttlSeconds);
    else await this.ephemeral.delete(keyOf(hubSessionId));
  }

  /** Every SP session of the hub session, forgotten at once (the hub session ended). */
  async takeAll(hubSessionId: string): Promise<SpSession[]> {
    const raw = await this.ephemeral.take(keyOf(hubSessionId));
    return raw ? (JSON.parse(raw) as SpSession[]) : [];
  }
}
