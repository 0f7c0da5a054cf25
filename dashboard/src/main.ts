/**
 * The pymk dashboard: a hash router over three views (#/user/<id>, #/system, #/runs) and the credential
 * form. Built by Vite into dist/dashboard/ and served by pymk at /dashboard/ (docs/dashboard.md).
 */
import './style.css';
import { credential, setCredential } from './api.js';
import { RunsView } from './runs.js';
import { SystemView } from './system.js';
import { UserView } from './user.js';

const main = document.getElementById('main')!;
const user = new UserView();
const system = new SystemView();
const runs = new RunsView();

function route(): void {
  const [, view = 'user', ...rest] = location.hash.replace(/^#/, '').split('/');
  const param = rest.length ? decodeURIComponent(rest.join('/')) : null;
  for (const a of document.querySelectorAll<HTMLAnchorElement>('nav a[data-view]')) {
    if (a.dataset.view === view) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  system.hide();
  if (view === 'system') {
    main.replaceChildren(system.element());
    void system.show();
  } else if (view === 'runs') {
    main.replaceChildren(runs.element());
    void runs.show();
  } else {
    main.replaceChildren(user.element());
    void user.show(param);
  }
  document.title = `pymk · ${view === 'system' ? 'System' : view === 'runs' ? 'Pipeline runs' : param ? `User ${param}` : 'User'}`;
}

const form = document.getElementById('credential') as HTMLFormElement;
const input = document.getElementById('credential-input') as HTMLInputElement;
const state = document.getElementById('credential-state')!;
const showState = () => (state.textContent = credential() ? 'credential set for this tab' : 'no credential (fine when auth is off)');
form.addEventListener('submit', (e) => {
  e.preventDefault();
  setCredential(input.value.trim());
  input.value = '';
  showState();
  route();
});
showState();
window.addEventListener('hashchange', route);
route();
