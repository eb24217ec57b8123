import { cpus, loadavg, totalmem } from 'node:os';

export interface MachineInfo {
  cpus: number;
  cpu_model: string;
  node: string;
  total_mem_gb: number;
  platform: string;
  /** 1-minute load average when the bench started: a busy machine skews every number. */
  loadavg_1m: number;
}

export function machineInfo(): MachineInfo {
  const list = cpus();
  return {
    cpus: list.length,
    cpu_model: list[0]?.model.trim() ?? 'unknown',
    node: process.version,
    total_mem_gb: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    platform: `${process.platform} ${process.arch}`,
    loadavg_1m: Math.round(loadavg()[0]! * 100) / 100,
  };
}
