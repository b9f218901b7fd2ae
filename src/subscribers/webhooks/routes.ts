import express, { type Request, type Response } from "express";
import { sendError } from "../../api/rest.js";
import { eventScope } from "../../audit/scope.js";
import { authorize } from "../../auth/authorize.js";
import type { Caller } from "../../commands/commands.js";
import { detailsOf } from "../../commands/details.js";
import { handleCommand } from "../../commands/handleCommand.js";
import { KeyedMutex } from "../../commands/keyedMutex.js";
import { DomainError, fail } from "../../errors.js";
import type { EventStore } from "../../events/eventStore.js";
import { webhookStream } from "../../events/webhook.js";
import type { Queries } from "../../queries/queries.js";
import { typeMatcher } from "../wireEvent.js";
import { deliverOnce } from "./deliver.js";
import type { DeliveryState } from "./deliveryState.js";
import { AddressNotAllowed, type EgressPolicy } from "./egress.js";
import type { Dispatcher } from "./dispatcher.js";
import type { RetryPolicy } from "./worker.js";
import type { Encryption } from "../../crypto/encryption.js";
import { newSigningKey } from "./signingKeys.js";
import { targetDecider, type TargetCommand } from "./targetDecider.js";

export const WEBHOOKS_PREFIX = "/webhooks/v1";

export interface WebhookRoutesOptions {
  readonly store: EventStore;
  readonly queries: Queries;
  readonly dispatcher: Dispatcher;
  readonly state: DeliveryState;
  readonly encryption: Encryption;
  readonly egress: EgressPolicy;
  readonly retry: RetryPolicy;
  readonly instanceId: string;
  readonly newId: () => string;
  /** Targets the instance may have at once (WEBHOOK_MAX_TARGETS). */
  readonly maxTargets: number;
}

/** ZITADEL's CreateTargetRequest bounds `name` and `endpoint` to 1000 characters. */
const MAX_TARGET_TEXT = 1000;

const DEAD_LETTER_PAGE = { default: 100, max: 1000 };

/** `?after=<id>&limit=<n>` of the dead-letter listing. */
function deadLetterPage(query: Request["query"]) {
  const number = (value: unknown, fallback: number) => (value === undefined ? fallback : typeof value === "string" && /^\d{1,15}$/.test(value) ? Number(value) : NaN);
  const afterId = number(query.after, 0);
  const limit = number(query.limit, DEAD_LETTER_PAGE.default);
  if (Number.isNaN(afterId) || !(limit >= 1 && limit <= DEAD_LETTER_PAGE.max)) {
    return fail("deadLetterPageInvalid", `after must be a dead letter id, limit from 1 to ${DEAD_LETTER_PAGE.max}`);
  }
  return { afterId, limit };
}

/**
 * A target as `webhook.target.added` wants it, checked before anything is appended: its endpoint
 * must resolve to addresses webhooks may reach (delivery checks again, on the address it dials).
 */
async function targetInput(body: unknown, egress: EgressPolicy) {
  const { name, endpoint, eventTypes = [] } = (typeof body === "object" && body !== null ? body : {}) as Record<string, unknown>;
  if (typeof name !== "string" || !name.trim() || [...name].length > MAX_TARGET_TEXT) {
    return fail("webhookTargetInvalid", `name must be a non-empty string of at most ${MAX_TARGET_TEXT} characters`);
  }
  if (typeof endpoint !== "string" || [...endpoint].length > MAX_TARGET_TEXT || !/^https?:$/.test(URL.canParse(endpoint) ? new URL(endpoint).protocol : "")) {
    return fail("webhookTargetInvalid", `endpoint must be an http(s) URL of at most ${MAX_TARGET_TEXT} characters`);
  }
  // Credentials in the URL would be stored in the log in clear and shown by every listing.
  const url = new URL(endpoint);
  if (url.username || url.password) return fail("webhookTargetInvalid", "endpoint must not carry credentials (user:password@)");
  if (!Array.isArray(eventTypes) || eventTypes.length > 30 || !eventTypes.every((t) => typeof t === "string" && t.trim())) {
    return fail("webhookTargetInvalid", "eventTypes must be a list of at most 30 event type patterns");
  }
  // The dispatcher compiles them the same way: a pattern it would refuse is refused here, before it is stored.
  typeMatcher(eventTypes as string[]);
  try {
    await egress.check(url.hostname);
  } catch (error) {
    if (error instanceof AddressNotAllowed) return fail("webhookTargetInvalid", "endpoint must be a public address (or in WEBHOOK_ALLOWED_NETWORKS)");
    return fail("webhookTargetInvalid", "endpoint host does not resolve");
  }
  return { name: name.trim(), endpoint, eventTypes: eventTypes.map((t: string) => t.trim()) };
}

/**
 * idledger's own small API for webhooks, for instance admins: targets (events in the log, signing
 * keys encrypted) and dead letters (delivery state beside the log), which can be re-driven.
 */
export function webhookRouter({ store, queries, dispatcher, state, encryption, egress, retry, instanceId, newId, maxTargets }: WebhookRoutesOptions): express.Router {
  // Adds in this process one at a time, so that the count they check is the count they leave.
  const adding = new KeyedMutex();
  const onTarget = (caller: Caller, targetId: string, command: TargetCommand) =>
    handleCommand(store, targetDecider, webhookStream(targetId), command, () => "", {
      instanceId,
      editorUser: caller.userId,
      correlationId: caller.correlationId,
      now: () => new Date(),
    });

  /**
   * Every route: an instance admin (events.read on the instance), then the handler's JSON. A
   * handler that waited (a DNS lookup, a delivery) calls `authorized()` again right before it acts,
   * so that a token removed or expired during the wait cannot finish the action.
   */
  const route =
    (handler: (req: Request, caller: Caller, authorized: () => Promise<void>) => Promise<unknown>) => async (req: Request, res: Response) => {
      res.locals.route = req.route?.path as string | undefined;
      const credentials = { authorization: req.get("authorization"), orgId: req.get("x-zitadel-orgid"), requestId: res.locals.requestId as string };
      const instanceAdmin = async () => {
        const caller = await authorize(queries, credentials, "");
        if ((await eventScope(queries, caller)).kind !== "instance") fail("permissionDenied");
        return caller;
      };
      try {
        await queries.catchUp();
        const caller = await instanceAdmin();
        res.json(await handler(req, caller, async () => void (await instanceAdmin())));
      } catch (error) {
        sendError(res, error);
      }
    };

  const targetView = async (id: string) => {
    const entry = dispatcher.target(id);
    if (!entry) return fail("webhookTargetNotFound");
    const { target } = entry;
    const checkpoint = ((await state.checkpoint(id)) ?? target.addedAt).toString();
    const health = entry.state === "failing" ? { state: entry.state, failure: entry.failure } : { state: entry.state };
    return { id, name: target.name, endpoint: target.endpoint, eventTypes: target.eventTypes, checkpoint, ...health };
  };

  return express
    .Router()
    .use(WEBHOOKS_PREFIX, express.json({ limit: "64kb" }))
    .post(
      `${WEBHOOKS_PREFIX}/targets`,
      route(async (req, caller, authorized) => {
        const input = await targetInput(req.body, egress);
        return adding.run("targets", async () => {
          await dispatcher.caughtUp(await store.headPosition());
          if (dispatcher.targets().length >= maxTargets) fail("webhookTargetLimit");
          await authorized();
          const signingKey = newSigningKey();
          const id = newId();
          const result = await onTarget(caller, id, { type: "AddTarget", target: { ...input, signingKey: encryption.encrypt(signingKey) } });
          await dispatcher.caughtUp(result.appended.at(-1)!.position);
          // The key is shown once, as ZITADEL's CreateTarget does; the log holds it encrypted.
          return { id, signingKey, details: detailsOf(result.first, result.appended.at(-1)!) };
        });
      }),
    )
    .get(
      `${WEBHOOKS_PREFIX}/targets`,
      route(async () => {
        await dispatcher.caughtUp(await store.headPosition());
        return { result: await Promise.all(dispatcher.targets().map(({ target }) => targetView(target.id))) };
      }),
    )
    .get(
      `${WEBHOOKS_PREFIX}/targets/:id`,
      route(async (req) => {
        await dispatcher.caughtUp(await store.headPosition());
        return targetView(String(req.params.id));
      }),
    )
    .delete(
      `${WEBHOOKS_PREFIX}/targets/:id`,
      route(async (req, caller) => {
        const result = await onTarget(caller, String(req.params.id), { type: "RemoveTarget" });
        await dispatcher.caughtUp(result.appended.at(-1)!.position);
        return { details: detailsOf(result.first, result.appended.at(-1)!) };
      }),
    )
    .get(
      `${WEBHOOKS_PREFIX}/deadletters`,
      route(async (req) => ({
        result: (await state.deadLetters(deadLetterPage(req.query))).map((letter) => ({ ...letter, position: letter.position.toString() })),
      })),
    )
    .post(
      `${WEBHOOKS_PREFIX}/deadletters/:id/_redrive`,
      route(async (req, _caller, authorized) => {
        const letter = await state.deadLetterById(Number(req.params.id));
        if (!letter) return fail("deadLetterNotFound");
        const entry = dispatcher.target(letter.targetId);
        if (!entry) return fail("webhookTargetNotFound");
        if (entry.state === "failing") return fail("redriveFailed", `The target is failing: ${entry.failure}`);
        let event;
        for await (const recorded of store.readAll({ from: letter.position - 1n, maxCount: 1 })) event = recorded;
        if (!event || event.id !== letter.eventId) throw new DomainError("internal");
        const failed = await deliverOnce({ endpoint: entry.target.endpoint, signingKey: entry.signingKey, event, timeoutMs: retry.timeoutMs, egress });
        // The delivery took up to its timeout: the letter is settled only for a caller still allowed to.
        await authorized();
        if (failed !== undefined) {
          await state.failedAgain(letter.id, failed.failure, new Date().toISOString());
          return fail("redriveFailed", `The target did not accept the event: ${failed.failure}`);
        }
        await state.removeDeadLetter(letter.id);
        return {};
      }),
    );
}
