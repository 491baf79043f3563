import { readdirSync, readFileSync } from 'node:fs';

/**
 * Resident set size of this process's children whose command line names `marker` (the
 * authorizer's asset directory), from /proc (Linux). Elsewhere it reports nothing and the report
 * says so.
 */
export function childRss(marker: string): { readonly pid: number; readonly rssBytes: number }[] {
  let pids: number[];
  try {
    pids = readFileSync(`/proc/${process.pid}/task/${process.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    try {
      pids = readdirSync('/proc')
        .filter((name) => /^\d+$/.test(name))
        .map(Number)
        .filter((pid) => parentOf(pid) === process.pid);
    } catch {
      return [];
    }
  }
  const found: { pid: number; rssBytes: number }[] = [];
  for (const pid of pids) {
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker)) continue;
      const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (rss !== null) found.push({ pid, rssBytes: Number(rss[1]) * 1024 });
    } catch {
      // The process ended between the listing and the read.
    }
  }
  return found;
}

function parentOf(pid: number): number | undefined {
  try {
    // The command name, in parentheses, may hold spaces: the fields after its closing one are fixed.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}
