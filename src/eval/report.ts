/** Presentation of evaluation results: the machine they ran on, the JSON document and a markdown report. */
import os from 'node:os';
import type { EvalResult } from './protocol.js';

export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  platform: string;
  node: string;
}

/** Results as written to disk: the run plus where and when it ran. */
export interface EvalReport extends EvalResult {
  machine: MachineInfo;
  createdAt: string;
  /** How it was run (the command line), and a free-text note such as where the data came from. */
  command?: string;
  note?: string;
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
  };
}

export function toReport(r: EvalResult, extra: { command?: string; note?: string } = {}, now = new Date()): EvalReport {
  return { ...r, ...extra, machine: machineInfo(), createdAt: now.toISOString() };
}

/** A markdown page: what was evaluated, then one table of ranking metrics and one of pair metrics and cost. */
export function formatMarkdown(r: EvalReport): string {
  const c = r.counts;
  const s = r.split;
  const splitText =
    s.kind === 'temporal'
      ? `temporal, ${s.testFrac !== null ? `latest ${pct(s.testFrac)} of connections held out` : 'cut given'}; cut = ${s.cut !== null ? `${s.cut} (${new Date(s.cut * 1000).toISOString()})` : 'none'}`
      : `random, ${pct(s.testFrac ?? 0)} of connections held out${s.keepConnected ? ', training graph kept connected' : ''}, seed ${s.seed}`;
  const notes = Object.entries(s.notes).map(([k, v]) => `${k} ${v}`);
  const lines = [
    `# Offline evaluation: ${r.dataset}`,
    '',
    `- split: ${splitText}${notes.length ? ` (${notes.join(', ')})` : ''}`,
    ...(s.fallback ? [`- note: ${s.fallback}`] : []),
    `- users ${c.users} (active in training ${c.activeUsers}); connections ${c.edges}: train ${c.trainEdges}, held out ${c.testEdges} (between active users ${c.usableTestEdges})`,
    `- query users: ${c.queryUsers} of ${c.eligibleQueryUsers} eligible (seed ${s.seed}); pairs for AUC/AP: ${c.pairPositives} held-out vs ${c.pairNegatives} random non-connected`,
    ...(r.note ? [`- data: ${r.note}`] : []),
    ...(r.command ? [`- command: \`${r.command}\``] : []),
    `- machine: ${r.machine.cpu}, ${r.machine.cores} cores, ${r.machine.memoryGiB} GiB, node ${r.machine.node}; ${r.createdAt}`,
    '',
    '## Ranking (averaged over query users)',
    '',
    table(
      ['method', ...r.ks.map((k) => `Recall@${k}`), ...r.ks.map((k) => `NDCG@${k}`)],
      r.methods.map((m) => [m.method, ...r.ks.map((k) => num(m.ranking.recall[k])), ...r.ks.map((k) => num(m.ranking.ndcg[k]))]),
    ),
    '',
    '## Hit rate, MRR, pair metrics and cost',
    '',
    table(
      ['method', ...r.ks.map((k) => `Hits@${k}`), 'MRR', 'ROC-AUC', 'AP', 'log loss', 'mean list', 'ms/user'],
      r.methods.map((m) => [
        m.method,
        ...r.ks.map((k) => num(m.ranking.hits[k])),
        num(m.ranking.mrr),
        m.auc === null ? '–' : num(m.auc),
        m.ap === null ? '–' : num(m.ap),
        m.logLoss === null || m.logLoss === undefined ? '–' : num(m.logLoss),
        m.meanListLength.toFixed(1),
        m.msPerUser.toFixed(3),
      ]),
    ),
    '',
    'Recall@K = held-out neighbours in the top K / all held-out neighbours; Hits@K = share of users with at',
    'least one in the top K; MRR over the list (at most the largest K). AUC/AP: held-out pairs vs random',
    'non-connected pairs of active users, scored on the training graph.',
    '',
  ];
  return lines.join('\n');
}

function table(head: string[], rows: string[][]): string {
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map((_, i) => (i === 0 ? '---' : '---:'))), ...rows.map(line)].join('\n');
}

function num(x: number): string {
  return x.toFixed(4);
}

function pct(x: number): string {
  return `${Math.round(x * 1000) / 10}%`;
}
