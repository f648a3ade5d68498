/**
 * TOTP second factor (RFC 6238, otplib): 30 s steps, 6 digits, SHA-1 — what every authenticator
 * app understands. A code is accepted within ±1 step (clock drift on a pupil's phone) and never
 * twice: the matched step is claimed in the shared replay cache, so two hub processes cannot
 * both accept it, and an older step than the last accepted one is refused too.
 */
import { generateSecret, generateURI, verify } from 'otplib';
import QRCode from 'qrcode';
import type { EphemeralStore } from '../storage/ports/ephemeral.js';

const PERIOD_SECONDS = 30;
/** ±1 step, expressed as otplib's tolerance in seconds. */
const TOLERANCE_SECONDS = PERIOD_SECONDS;
/** A claimed step must outlive the window in which its code is still accepted. */
const REPLAY_TTL_SECONDS = PERIOD_SECONDS * 4;

export type TotpCheck = 'ok' | 'invalid' | 'replayed';

/** 160-bit secret, base32, as authenticator apps expect. */
export const newTotpSecret = (): string => generateSecret({ length: 20 });

export function otpauthUri(secret: string, accountLabel: string, issuer: string): string {
  return generateURI({ issuer, label: accountLabel, secret });
}

/** The enrolment QR code as inline SVG markup (no image request, nothing for CSP to allow). */
export function qrCodeSvg(uri: string): Promise<string> {
  return QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
}

/** Groups of four, as apps show keys to type by hand. */
export const formatTotpSecret = (secret: string): string => secret.replace(/(.{4})/g, '$1 ').trim();

export async function checkTotp(ephemeral: EphemeralStore, accountId: string, secret: string, input: string, now = Date.now()): Promise<TotpCheck> {
  const token = input.replace(/\s/g, '');
  if (!/^\d{6}$/.test(token)) return 'invalid';
  const result = await verify({ secret, token, epochTolerance: TOLERANCE_SECONDS, epoch: Math.floor(now / 1000) });
  // otplib types the HOTP and TOTP results together; only TOTP's has the matched step.
  if (!result.valid || !('timeStep' in result)) return 'invalid';
  const lastKey = `totp-last:${accountId}`;
  const last = Number(await ephemeral.get(lastKey) ?? -1);
  if (result.timeStep <= last) return 'replayed';
  if (!(await ephemeral.claimOnce(`totp:${accountId}:${result.timeStep}`, REPLAY_TTL_SECONDS))) return 'replayed';
  await ephemeral.put(lastKey, String(result.timeStep), REPLAY_TTL_SECONDS);
  return 'ok';
}
