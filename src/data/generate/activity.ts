/**
 * The activity log of the last `logDays`, written as the graph grows so it always agrees with it
 * (the lead-up to a connection made early in the window may start a little before the window):
 * every connection made in the window has an invite_sent before it and an invite_accepted at exactly its
 * time (often after an impression and a profile view); declined recommendation-style proposals become
 * impressions that led nowhere, a dismissal, a view, or an invite that is ignored or answered with a block;
 * banned users spam invites. A block is registered with the graph so the pair never connects afterwards.
 */
import type { Rng } from '../../core/rng.js';
import { lowerBound } from '../../core/sorted.js';
import { EVENT_CODE, EventBuilder, FLAG_BANNED, type EventTable } from '../../core/tables.js';
import type { GrowingGraph } from './growingGraph.js';
import { MECHANISMS, MODEL, type WorldParams } from './params.js';
import type { Population } from './population.js';

const IMPRESSION = EVENT_CODE.impression;
const VIEW = EVENT_CODE.profile_view;
const INVITE = EVENT_CODE.invite_sent;
const ACCEPTED = EVENT_CODE.invite_accepted;
const IGNORED = EVENT_CODE.invite_ignored;
const DISMISS = EVENT_CODE.dismiss;
const BLOCK = EVENT_CODE.block;

/** Mechanisms whose proposals look like recommendations (and so are logged as impressions). */
const RECOMMENDABLE = Uint8Array.from(MECHANISMS, (m) => (m === 'preferential' || m === 'random' ? 0 : 1));

export class ActivityLog {
  private readonly events = new EventBuilder();
  private readonly act = MODEL.activity;
  /** Banned users, ascending (so the joined ones are a prefix). */
  private readonly banned: Int32Array;
  /** Expected spam invites per connection made inside the window. */
  private readonly spamPerStep: number;

  constructor(
    private readonly p: WorldParams,
    private readonly pop: Population,
    private readonly g: GrowingGraph,
    private readonly rng: Rng,
  ) {
    const ids: number[] = [];
    for (let u = 0; u < pop.n; u++) if (pop.profiles.flags[u] & FLAG_BANNED) ids.push(u);
    this.banned = Int32Array.from(ids);
    const stepsInWindow = (g.maxEdges * p.logDays) / p.days;
    const spamTotal = ids.length * MODEL.activity.spamInvitesPerBannedPerDay * p.logDays;
    this.spamPerStep = stepsInWindow > 0 ? spamTotal / stepsInWindow : 0;
  }

  get count(): number {
    return this.events.count;
  }

  /** Called once per connection made inside the window: banned users send spam invites (at the same rate). */
  tick(ts: number, joined: number): void {
    if (this.banned.length === 0) return;
    let k = Math.floor(this.spamPerStep) + (this.rng.chance(this.spamPerStep % 1) ? 1 : 0);
    for (; k > 0; k--) {
      const bannedJoined = lowerBound(this.banned, joined);
      if (bannedJoined === 0) return;
      const s = this.banned[this.rng.int(bannedJoined)];
      const t = this.rng.int(joined);
      if (t === s || this.g.connected(s, t) || this.g.isBlocked(s, t)) continue;
      this.push(INVITE, s, t, ts);
      const r = this.rng.next();
      const later = this.after(ts, 6 * 3600);
      if (later < 0) continue;
      if (r < this.act.spamIgnored) this.push(IGNORED, t, s, later);
      else if (r < this.act.spamIgnored + this.act.spamBlocked) this.blockPair(t, s, later);
    }
  }

  /** u's proposal to w was accepted at ts: the invite, and often an impression and views, come first. */
  connected(u: number, w: number, ts: number, mechanism: number): void {
    const joinedAt = this.pop.profiles.joinedAt;
    const lo = Math.max(joinedAt[u], joinedAt[w]);
    const delay = Math.min(14 * 86400, this.exp(this.act.meanAcceptDelayHours * 3600));
    const invited = Math.max(lo, ts - delay);
    let before = invited;
    if (this.rng.chance(this.act.viewBeforeInvite)) {
      before = Math.max(lo, invited - this.exp(600));
      this.push(VIEW, u, w, before);
    }
    if (RECOMMENDABLE[mechanism] && this.rng.chance(this.act.impressionBeforeInvite)) {
      const shown = Math.max(lo, before - this.exp(7200));
      this.push(IMPRESSION, u, w, shown);
      this.shownAlongside(u, shown);
    }
    this.push(INVITE, u, w, invited);
    if (this.rng.chance(this.act.viewBackBeforeAccept)) {
      this.push(VIEW, w, u, invited + Math.floor(this.rng.next() * (ts - invited)));
    }
    this.push(ACCEPTED, w, u, ts);
  }

  /**
   * The other people in the list where u saw the one they invited: friends of friends that u mostly
   * scrolls past (geometric count with mean `shownAlongside`), sometimes dismisses.
   */
  private shownAlongside(u: number, ts: number): void {
    const joinedAt = this.pop.profiles.joinedAt;
    const more = 1 / (1 + this.act.shownAlongside); // geometric stop probability for that mean
    while (!this.rng.chance(more)) {
      const c = this.g.friendOfFriend(u, this.rng);
      if (c < 0) continue;
      const t = Math.max(ts, joinedAt[c]);
      this.push(IMPRESSION, u, c, t);
      if (this.rng.chance(this.act.declinedDismiss)) {
        const later = this.after(t, 60);
        if (later >= 0) this.push(DISMISS, u, c, later);
      }
    }
  }

  /** u's proposal to w was declined at ts: maybe shown as a recommendation that led nowhere, or worse. */
  declined(u: number, w: number, ts: number, mechanism: number): void {
    if (!RECOMMENDABLE[mechanism] || !this.rng.chance(this.act.declinedShown)) return;
    this.push(IMPRESSION, u, w, ts);
    const r = this.rng.next();
    const act = this.act;
    const soon = this.after(ts, 300);
    if (soon < 0) return;
    if (r < act.declinedDismiss) {
      this.push(DISMISS, u, w, soon);
    } else if (r < act.declinedDismiss + act.declinedView) {
      this.push(VIEW, u, w, soon);
    } else if (r < act.declinedDismiss + act.declinedView + act.declinedInvite) {
      this.push(INVITE, u, w, soon);
      const reply = this.after(soon, 86400);
      if (reply < 0) return;
      const q = this.rng.next();
      if (q < act.inviteBlocked) this.blockPair(w, u, reply);
      else if (q < act.inviteBlocked + act.inviteIgnored) this.push(IGNORED, w, u, reply);
      // otherwise the invite is still pending at the end of the period
    }
  }

  /** The log sorted by time (stable: events at the same second keep the order they were made in). */
  finish(): EventTable {
    return sortByTime(this.events.finish());
  }

  private blockPair(actor: number, target: number, ts: number): void {
    this.g.block(actor, target);
    this.push(BLOCK, actor, target, ts);
  }

  private push(type: number, actor: number, target: number, ts: number): void {
    this.events.push(type, actor, target, ts);
  }

  /** ts plus an exponential delay with the given mean, or -1 when that falls after the period. */
  private after(ts: number, mean: number): number {
    const t = ts + this.exp(mean);
    return t <= this.p.end ? t : -1;
  }

  /** Exponential whole seconds with the given mean (at least 1). */
  private exp(mean: number): number {
    return 1 + Math.floor(-Math.log(1 - this.rng.next()) * mean);
  }
}

/** Stable LSD radix sort of an event table by ts (two 16-bit passes). */
export function sortByTime(ev: EventTable): EventTable {
  const n = ev.count;
  let order = new Int32Array(n);
  let next = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (const shift of [0, 16]) {
    const counts = new Int32Array(65537);
    for (let i = 0; i < n; i++) counts[((ev.ts[i] >>> shift) & 0xffff) + 1]++;
    for (let d = 0; d < 65536; d++) counts[d + 1] += counts[d];
    for (let i = 0; i < n; i++) {
      const j = order[i];
      next[counts[(ev.ts[j] >>> shift) & 0xffff]++] = j;
    }
    [order, next] = [next, order];
  }
  const out: EventTable = {
    count: n,
    type: new Uint8Array(n),
    actor: new Int32Array(n),
    target: new Int32Array(n),
    ts: new Uint32Array(n),
  };
  for (let i = 0; i < n; i++) {
    const j = order[i];
    out.type[i] = ev.type[j];
    out.actor[i] = ev.actor[j];
    out.target[i] = ev.target[j];
    out.ts[i] = ev.ts[j];
  }
  return out;
}
