import { createHash, randomUUID } from "node:crypto";
import { BACKWARDS, END, FORWARDS, NO_STREAM, StreamNotFoundError, WrongExpectedVersionError, type RecordedEvent as EsdbRecordedEvent } from "@eventstore/db-client";
import { UniqueConstraintViolation } from "../errors.js";
import type { UniqueConstraint } from "../eventStore.js";
import type { EsdbClient } from "./client.js";
import { toStoreError } from "./driverErrors.js";
import { constraintsOf, eventId, RESERVATION_CATEGORY } from "./envelope.js";

export const RESERVED = "idledger.unique.reserved";
export const RELEASED = "idledger.unique.released";

/** Who a reservation is for: the event that needs the value, in the stream it is appended to. */
export interface Reserved {
  readonly owner: string;
  readonly eventId: string;
  readonly reservedAt: string;
}

/** A reservation stream as it stands: free or held, at its last revision (undefined: no stream yet). */
interface Reservation {
  readonly constraint: UniqueConstraint;
  readonly stream: string;
  readonly revision: bigint | undefined;
  readonly held: boolean;
  readonly owner: string | undefined;
}

export interface ReservationPlan {
  /** Reservations to take before the append. */
  readonly takes: readonly Reservation[];
  /** Reservations to release once the append stands. */
  readonly releases: readonly Reservation[];
}

/**
 * One stream per unique value, its name a hash of the value (which may be long, or personal). Not
 * a `$`-stream: those need admin rights on a secure server.
 */
export const reservationStream = ({ name, value }: UniqueConstraint): string =>
  `${RESERVATION_CATEGORY}-${name}-${createHash("sha256").update(value).digest("hex")}`;

const leader = { requiresLeader: true } as const;

/**
 * Uniqueness without transactions: a value is held by the last `reserved` event of its stream,
 * taken with an expected revision (so exactly one of racing takers wins), released by a
 * compensating `released` event. A holder is checked before it is believed:
 * - its event is in its owner's stream: held, unless what its events did to the value since
 *   (each judged by its net effect: "remove x, add x" keeps x) leaves it removed, a release decided
 *   but never written;
 * - its event is not there yet: held while the append may still be in flight, free once
 *   `abandonAfterMs` have passed (the taker crashed between reserving and appending).
 */
export function createReservations(client: EsdbClient, { abandonAfterMs, now }: { abandonAfterMs: number; now: () => number }) {
  async function lastEvent(stream: string): Promise<EsdbRecordedEvent | undefined> {
    try {
      for await (const { event } of client.readStream(stream, { direction: BACKWARDS, fromRevision: END, maxCount: 1, ...leader })) return event;
    } catch (error) {
      if (error instanceof StreamNotFoundError) return undefined;
      throw toStoreError(error);
    }
    return undefined;
  }

  async function streamEvents(stream: string): Promise<EsdbRecordedEvent[]> {
    const events: EsdbRecordedEvent[] = [];
    try {
      for await (const { event } of client.readStream(stream, { direction: FORWARDS, fromRevision: 0n, ...leader })) if (event) events.push(event);
    } catch (error) {
      if (!(error instanceof StreamNotFoundError)) throw toStoreError(error);
    }
    return events;
  }

  // Whether the holder's claim stands: its event landed and its stream's events since leave the value taken.
  async function stillHeld(constraint: UniqueConstraint, holder: Reserved): Promise<boolean> {
    const events = await streamEvents(holder.owner);
    const at = events.findIndex((event) => event.id === holder.eventId.toLowerCase());
    if (at === -1) return now() - Date.parse(holder.reservedAt) < abandonAfterMs;
    let held = true;
    for (const event of events.slice(at + 1)) {
      for (const c of constraintsOf(event)) if (c.name === constraint.name && c.value === constraint.value) held = c.action === "add";
    }
    return held;
  }

  async function read(constraint: UniqueConstraint): Promise<Reservation> {
    const stream = reservationStream(constraint);
    const last = await lastEvent(stream);
    if (!last) return { constraint, stream, revision: undefined, held: false, owner: undefined };
    const holder = last.type === RESERVED ? (last.data as unknown as Reserved) : undefined;
    const held = holder !== undefined && (await stillHeld(constraint, holder));
    return { constraint, stream, revision: last.revision, held, owner: held ? holder?.owner : undefined };
  }

  return {
    /** The stream that holds the value now (by the same check as `plan`), undefined when none does. */
    holder: async (constraint: UniqueConstraint): Promise<string | undefined> => (await read(constraint)).owner,

    /**
     * Plays the constraints in order against the values as they are now ("remove x, add x" is
     * allowed), throwing UniqueConstraintViolation at the first that cannot be met.
     */
    async plan(constraints: readonly UniqueConstraint[], owner: string): Promise<ReservationPlan> {
      const byValue = new Map<string, { readonly before: Reservation; held: boolean }>();
      for (const constraint of constraints) {
        const key = `${constraint.name}\0${constraint.value}`;
        let entry = byValue.get(key);
        if (!entry) {
          const before = await read(constraint);
          entry = { before, held: before.held };
          byValue.set(key, entry);
        }
        if (constraint.action === "add" ? entry.held : !entry.held) throw new UniqueConstraintViolation(constraint);
        entry.held = constraint.action === "add";
      }
      const entries = [...byValue.values()];
      return {
        // A value held before and after passes to this owner (it was removed and added again).
        takes: entries.filter(({ before, held }) => held && (!before.held || before.owner !== owner)).map(({ before }) => before),
        releases: entries.filter(({ before, held }) => before.held && !held).map(({ before }) => before),
      };
    },

    /** Takes a value for `holder`; losing a race for it is a violation. Returns the reservation held. */
    async take(reservation: Reservation, holder: Reserved, deadline: number): Promise<Reservation> {
      const data = { ...holder, eventId: eventId(holder.eventId) };
      const event = { id: randomUUID(), contentType: "application/json" as const, type: RESERVED, data, metadata: {} };
      try {
        const { success, nextExpectedRevision } = await client.appendToStream(reservation.stream, [event], {
          expectedRevision: reservation.revision ?? NO_STREAM,
          deadline,
          ...leader,
        });
        if (!success) throw new UniqueConstraintViolation(reservation.constraint);
        return { ...reservation, revision: nextExpectedRevision, held: true, owner: holder.owner };
      } catch (error) {
        if (error instanceof WrongExpectedVersionError) throw new UniqueConstraintViolation(reservation.constraint);
        throw error instanceof UniqueConstraintViolation ? error : toStoreError(error);
      }
    },

    /**
     * Gives a value back if it is still held as `reservation` says. Best effort: a release that
     * does not land is recognised later (see above), so it never fails the caller.
     */
    async release(reservation: Reservation): Promise<void> {
      if (reservation.revision === undefined) return;
      const event = { id: randomUUID(), contentType: "application/json" as const, type: RELEASED, data: { owner: reservation.owner ?? "" }, metadata: {} };
      await client.appendToStream(reservation.stream, [event], { expectedRevision: reservation.revision, ...leader }).catch(() => {});
    },
  };
}

export type Reservations = ReturnType<typeof createReservations>;
