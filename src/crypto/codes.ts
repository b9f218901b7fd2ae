import { timingSafeEqual } from "node:crypto";
import { customAlphabet } from "nanoid";
import type { CryptoValue } from "./cryptoValue.js";
import { DecryptionFailed, type Encryption } from "./encryption.js";

/** ZITADEL's crypto.GeneratorConfig: how long a code is, what it is made of, how long it is valid. */
export interface CodeGeneratorConfig {
  readonly length: number;
  readonly alphabet: string;
  /** 0: never expires (as ZITADEL's IsCodeExpired). */
  readonly expiryMs: number;
}

export interface GeneratedCode {
  /** For the user (a notification), never for an event or a log. */
  readonly plain: string;
  /** What the event holds: the code encrypted. */
  readonly value: CryptoValue;
  /** As ZITADEL's events carry a Go time.Duration: nanoseconds. */
  readonly expiryNanos: number;
}

export type CodeCheck = "valid" | "expired" | "invalid";

export interface IssuedCode {
  readonly value: CryptoValue;
  readonly expiryNanos: number;
  /** When the event holding the code was created. */
  readonly createdAt: Date;
}

/**
 * One-time codes of any kind (initialization, email and phone verification...), as ZITADEL's
 * crypto.NewCode / crypto.VerifyCode: the event holds the code encrypted under a server-side key,
 * never a hash that an offline guess could check (a 6-character code is only ~2^30 guesses), and
 * the key stays out of the log. Encrypted rather than keyed-hashed so a notifier can still send it.
 */
export function codeGenerator(config: CodeGeneratorConfig, encryption: Encryption) {
  const random = customAlphabet(config.alphabet, config.length);
  return {
    newCode(): GeneratedCode {
      const plain = random();
      return { plain, value: encryption.encrypt(plain), expiryNanos: config.expiryMs * 1e6 };
    },
    verify(issued: IssuedCode, given: string, now: Date): CodeCheck {
      if (issued.expiryNanos > 0 && issued.createdAt.getTime() + issued.expiryNanos / 1e6 < now.getTime()) return "expired";
      let expected: string;
      try {
        expected = encryption.decrypt(issued.value);
      } catch (error) {
        if (error instanceof DecryptionFailed) return "invalid";
        throw error;
      }
      const [a, b] = [Buffer.from(expected), Buffer.from(given)];
      return a.length === b.length && timingSafeEqual(a, b) ? "valid" : "invalid";
    },
  };
}

export type CodeGenerator = ReturnType<typeof codeGenerator>;
