/**
 * The user view: look a user up by id; their profile and connection count; their recommendations as cards
 * (score, reasons, candidate source, rank) from the explain option; what the rules removed or demoted and
 * why; and what-if buttons that post connect / block / dismiss events and watch the answer change.
 */
import { api, ApiError, type Card, type Explained, type Profile, type Reason } from './api.js';
import { facts, fmt, h } from './dom.js';

const REASON_LABEL: Record<string, string> = {
  self: 'the user themself',
  connected: 'already connected',
  blocked: 'blocked (either direction)',
  dismissed: 'dismissed by the user',
  deactivated: 'account deactivated',
  banned: 'account banned',
  duplicate: 'listed twice',
};

/** How long a what-if waits for the invalidator to apply its event before saying so. */
const WATCH_MS = 10_000;

export function reasonText(r: Reason): string {
  switch (r.type) {
    case 'mutual_connections':
      return `${r.count} mutual connection${r.count === 1 ? '' : 's'}${r.sample.length ? `: ${r.sample.join(', ')}` : ''}`;
    case 'same_company':
      return `works at ${r.value} too`;
    case 'same_school':
      return `went to ${r.value} too`;
    case 'same_location':
      return `also in ${r.value}`;
    case 'similar_to_you':
      return `similar profile and network (similarity ${fmt(r.similarity)})`;
  }
}

export class UserView {
  private readonly root = h('section', { class: 'view', 'aria-labelledby': 'user-title' });
  private readonly results = h('div', { class: 'results' });
  private readonly live = h('p', { class: 'live', role: 'status', 'aria-live': 'polite', 'data-testid': 'whatif-status' });
  private readonly input = h('input', { id: 'user-id', name: 'user', required: true, placeholder: 'e.g. u42', spellcheck: 'false', autocomplete: 'off' }) as HTMLInputElement;
  private readonly limit = h('input', { id: 'user-limit', type: 'number', min: 1, max: 100, value: 10 }) as HTMLInputElement;
  private current: string | null = null;
  /** Bumped on every lookup, so an older answer arriving late is dropped. */
  private seq = 0;

  constructor() {
    const form = h(
      'form',
      { class: 'lookup', role: 'search', onsubmit: ((e: Event) => this.submit(e)) as EventListener },
      h('label', { for: 'user-id' }, 'User id'),
      this.input,
      h('label', { for: 'user-limit' }, 'Cards'),
      this.limit,
      h('button', { type: 'submit' }, 'Look up'),
    );
    this.root.append(h('h2', { id: 'user-title' }, 'User'), form, this.live, this.results);
  }

  element(): HTMLElement {
    return this.root;
  }

  private submit(e: Event): void {
    e.preventDefault();
    const id = this.input.value.trim();
    if (!id) return;
    const hash = `#/user/${encodeURIComponent(id)}`;
    if (location.hash === hash) void this.show(id);
    else location.hash = hash;
  }

  async show(id: string | null): Promise<void> {
    this.current = id;
    const seq = ++this.seq;
    this.live.textContent = '';
    if (!id) {
      this.results.replaceChildren(h('p', { class: 'muted' }, 'Enter a user id to see their recommendations and why.'));
      this.input.focus();
      return;
    }
    this.input.value = id;
    this.results.replaceChildren(h('p', { class: 'muted' }, `Looking up ${id}…`));
    try {
      const found = await api.findUser(id);
      if (seq !== this.seq) return;
      const profile = found.users[0];
      if (!profile) {
        this.results.replaceChildren(
          h('div', { class: 'notice', role: 'alert', 'data-testid': 'unknown-user' },
            h('strong', {}, `No user “${id}” in the served bundle`),
            h('p', {}, `Bundle ${found.version} has no user with this id. Ids are matched exactly (case and spaces count); check the id, or whether the user joined after this bundle was built.`),
          ),
        );
        return;
      }
      const answer = await api.explain(id, this.limitValue());
      if (seq !== this.seq) return;
      this.render(profile, answer);
    } catch (e) {
      if (seq === this.seq) this.results.replaceChildren(errorNotice(e));
    }
  }

  private limitValue(): number {
    const n = Number(this.limit.value);
    return Number.isInteger(n) && n >= 1 && n <= 100 ? n : 10;
  }

  private render(p: Profile, a: Explained): void {
    const e = a.explain;
    const profile = h(
      'section',
      { class: 'panel', 'aria-labelledby': 'profile-title', 'data-testid': 'profile' },
      h('h3', { id: 'profile-title' }, `Profile of ${p.id}`),
      facts([
        ['Company', p.profile.company],
        ['School', p.profile.school],
        ['Location', p.profile.location],
        ['Industry', p.profile.industry],
        ['Seniority', p.profile.seniority === null ? null : String(p.profile.seniority)],
        ['Connections', h('span', { 'data-testid': 'connections' }, fmt(p.connections))],
        ['Some connections', p.connectionSample.length ? p.connectionSample.join(', ') : 'none'],
        ['Blocked / dismissed', `${fmt(p.blocked)} / ${fmt(p.dismissed)}`],
        ['Account', p.flags.banned ? 'banned' : p.flags.deactivated ? 'deactivated' : 'active'],
      ]),
    );
    const path = h(
      'section',
      { class: 'panel', 'aria-labelledby': 'path-title' },
      h('h3', { id: 'path-title' }, 'How this answer was made'),
      facts([
        ['Path', h('span', { 'data-testid': 'path' }, e.path)],
        ['Scorer', e.scorer],
        ['Bundle', a.version],
        ['Candidates', `${fmt(e.candidates)} found, ${fmt(e.considered)} looked at by the rules`],
        ['Diversity caps', `${e.rules.maxPerCompany} per company, ${e.rules.maxPerSchool} per school${e.rules.backfill ? ', backfilled' : ''}`],
        ['Removed / capped', `${fmt(e.removed.length)} / ${fmt(e.cappedByCompany + e.cappedBySchool)}`],
      ]),
      e.note ? h('p', { class: 'notice' }, e.note) : null,
    );
    const cards = h(
      'section',
      { 'aria-labelledby': 'cards-title' },
      h('h3', { id: 'cards-title' }, `Recommendations (${a.recommendations.length})`),
      a.recommendations.length
        ? h('ol', { class: 'cards', 'data-testid': 'cards' }, a.recommendations.map((c) => this.card(p.id, c)))
        : h('p', { class: 'muted', 'data-testid': 'no-cards' }, 'No recommendations: the path found no candidate the rules let through.'),
    );
    this.results.replaceChildren(h('div', { class: 'two' }, profile, path), cards, ruled(e));
  }

  private card(user: string, c: Card): HTMLElement {
    const x = c.explain;
    const act = (type: 'connect' | 'block' | 'dismiss', label: string) =>
      h('button', { type: 'button', class: type === 'block' ? 'danger' : '', 'data-action': type, 'aria-label': `${label} ${c.id} (as ${user})`, onclick: (() => void this.whatIf(user, c.id, type)) as EventListener }, label);
    return h(
      'li',
      { class: 'card', 'data-testid': 'card', 'data-id': c.id },
      h('div', { class: 'card-head' },
        h('a', { href: `#/user/${encodeURIComponent(c.id)}`, class: 'card-id', title: `Look ${c.id} up` }, c.id),
        h('span', { class: 'score', title: 'score' }, fmt(c.score, 4)),
      ),
      h('div', { class: 'badges' },
        x ? h('span', { class: `badge src-${x.source.replace(/[^a-z0-9]/gi, '')}`, 'data-testid': 'source' }, x.source) : null,
        x ? h('span', { class: 'badge', title: 'position in the scored order, before the rules' }, `rank ${x.rank}`) : null,
        x?.backfilled ? h('span', { class: 'badge warn' }, 'backfilled') : null,
      ),
      h('ul', { class: 'reasons' }, c.reasons.length ? c.reasons.map((r) => h('li', { 'data-testid': 'reason', 'data-type': r.type }, reasonText(r))) : h('li', { class: 'muted' }, 'no shared connections or fields')),
      h('div', { class: 'actions', role: 'group', 'aria-label': `What if ${user}…` }, act('connect', 'Connect'), act('block', 'Block'), act('dismiss', 'Dismiss')),
    );
  }

  /** Posts the event, then re-asks until the card is gone (the invalidator applies events asynchronously). */
  private async whatIf(user: string, target: string, kind: 'connect' | 'block' | 'dismiss'): Promise<void> {
    const id = `dashboard-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
    const at = Date.now();
    const event =
      kind === 'connect'
        ? { id, v: 1, at, type: 'connection.created', a: user, b: target }
        : { id, v: 1, at, type: kind, actor: user, target };
    this.live.textContent = `Posting ${event.type} ${user} → ${target}…`;
    try {
      const r = await api.postEvent(event);
      this.live.textContent = `${event.type} accepted at log position ${r.positions[0]}; waiting for the recommendations to change…`;
      const start = performance.now();
      while (performance.now() - start < WATCH_MS) {
        const a = await api.explain(user, this.limitValue());
        if (!a.recommendations.some((c) => c.id === target)) {
          const took = Math.round(performance.now() - start);
          if (this.current === user) await this.show(user);
          this.live.textContent = `${event.type}: ${target} left ${user}'s recommendations (seen after ${took} ms).`;
          return;
        }
        await new Promise((res) => setTimeout(res, 250));
      }
      this.live.textContent = `${event.type} was accepted, but ${target} is still recommended after ${WATCH_MS / 1000} s: is an invalidator running (PYMK_INVALIDATE)?`;
    } catch (e) {
      this.live.textContent = `${event.type} failed: ${e instanceof ApiError ? `${e.code}: ${e.message}` : String(e)}`;
    }
  }
}

/** The removed and demoted candidates, with why. */
function ruled(e: Explained['explain']): HTMLElement {
  const removed = e.removed.length
    ? h('table', { 'data-testid': 'removed' },
        h('caption', {}, 'Removed by the business rules'),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Rank'), h('th', { scope: 'col' }, 'Candidate'), h('th', { scope: 'col' }, 'Why'))),
        h('tbody', {}, e.removed.map((r) => h('tr', { 'data-id': r.id, 'data-reason': r.reason }, h('td', { class: 'num' }, r.rank), h('td', {}, r.id), h('td', {}, REASON_LABEL[r.reason] ?? r.reason)))),
      )
    : h('p', { class: 'muted' }, 'The rules removed no candidate above the last card.');
  const demoted = e.demoted.length
    ? h('table', { 'data-testid': 'demoted' },
        h('caption', {}, 'Held back by a diversity cap'),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Rank'), h('th', { scope: 'col' }, 'Candidate'), h('th', { scope: 'col' }, 'Cap'), h('th', { scope: 'col' }, 'Outcome'))),
        h('tbody', {}, e.demoted.map((d) =>
          h('tr', { 'data-id': d.id }, h('td', { class: 'num' }, d.rank), h('td', {}, d.id), h('td', {}, `${d.rule} ${d.value ?? ''} full (max ${d.rule === 'company' ? e.rules.maxPerCompany : e.rules.maxPerSchool})`), h('td', {}, d.backfilled ? 'backfilled lower' : 'left out')),
        )),
      )
    : h('p', { class: 'muted' }, 'No diversity cap held a candidate back.');
  const counts = Object.entries(e.excluded).filter(([, n]) => n > 0).map(([k, n]) => `${REASON_LABEL[k] ?? k}: ${n}`);
  return h('section', { class: 'panel', 'aria-labelledby': 'rules-title' },
    h('h3', { id: 'rules-title' }, 'What the business rules did'),
    h('p', { class: 'muted' }, counts.length ? counts.join(' · ') : 'Nothing excluded.'),
    h('div', { class: 'two' }, removed, demoted),
  );
}

export function errorNotice(e: unknown): HTMLElement {
  if (e instanceof ApiError) {
    const hint =
      e.status === 401 ? 'Enter an admin credential above (an API key or JWT with the scope admin).' :
      e.status === 403 ? 'This credential lacks a scope the dashboard needs: admin (and recommendations:read, events:write for what-ifs).' :
      e.status === 503 ? 'The server is not ready (no bundle loaded) or a dependency is down.' : '';
    return h('div', { class: 'notice', role: 'alert' }, h('strong', {}, `${e.code} (${e.status || 'no answer'})`), h('p', {}, e.message), hint ? h('p', {}, hint) : null);
  }
  return h('div', { class: 'notice', role: 'alert' }, String(e));
}
