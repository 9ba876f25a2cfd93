/**
 * Process and runtime metrics of every Todo process (docs/metrics.md, "Process and runtime"): CPU
 * time, resident memory, uptime, event-loop delay (`perf_hooks.monitorEventLoopDelay`, which Bun
 * implements, sampled every 50 ms), and the container's cgroup v2 CPU and memory limits when there are any. All are read
 * only when metrics are collected.
 */
import { readFileSync } from "node:fs";
import { monitorEventLoopDelay } from "node:perf_hooks";
import type { BatchObservableResult, Meter } from "@opentelemetry/api";
import { MetricAttributes, MetricNames } from "./metric-names";

/** The cgroup v2 limits of this process, where set: memory in bytes, CPU in cores. */
export function cgroupLimits(root = "/sys/fs/cgroup"): { memoryBytes?: number; cpus?: number } {
  const read = (file: string) => {
    try {
      return readFileSync(`${root}/${file}`, "utf8").trim();
    } catch {
      return undefined;
    }
  };
  const out: { memoryBytes?: number; cpus?: number } = {};
  const memory = read("memory.max");
  if (memory && memory !== "max" && Number.isFinite(Number(memory))) out.memoryBytes = Number(memory);
  const [quota, period] = (read("cpu.max") ?? "max").split(/\s+/);
  if (quota && quota !== "max" && Number(period) > 0) out.cpus = Number(quota) / Number(period);
  return out;
}

/** Starts recording process metrics on `meter`; returns how to stop. */
export function startProcessMetrics(meter: Meter): () => void {
  const cpu = meter.createObservableCounter(MetricNames.processCpuTime, {
    unit: "s",
    description: "CPU time used by the process, by mode.",
  });
  const memory = meter.createObservableUpDownCounter(MetricNames.processMemoryUsage, {
    unit: "By",
    description: "Resident set size of the process.",
  });
  const uptime = meter.createObservableGauge(MetricNames.processUptime, {
    unit: "s",
    description: "Time since the process started.",
  });
  const delay = {
    min: meter.createObservableGauge(MetricNames.eventLoopDelayMin, {
      unit: "s",
      description: "Event loop delay, minimum.",
    }),
    max: meter.createObservableGauge(MetricNames.eventLoopDelayMax, {
      unit: "s",
      description: "Event loop delay, maximum.",
    }),
    mean: meter.createObservableGauge(MetricNames.eventLoopDelayMean, {
      unit: "s",
      description: "Event loop delay, mean.",
    }),
    p50: meter.createObservableGauge(MetricNames.eventLoopDelayP50, {
      unit: "s",
      description: "Event loop delay, median.",
    }),
    p90: meter.createObservableGauge(MetricNames.eventLoopDelayP90, {
      unit: "s",
      description: "Event loop delay, 90th percentile.",
    }),
    p99: meter.createObservableGauge(MetricNames.eventLoopDelayP99, {
      unit: "s",
      description: "Event loop delay, 99th percentile.",
    }),
  };
  const observables = [cpu, memory, uptime, ...Object.values(delay)];
  const limits = cgroupLimits();
  const memoryLimit =
    limits.memoryBytes !== undefined
      ? meter.createObservableUpDownCounter(MetricNames.processMemoryLimit, {
          unit: "By",
          description: "The container's memory limit (cgroup memory.max).",
        })
      : undefined;
  const cpuLimit =
    limits.cpus !== undefined
      ? meter.createObservableGauge(MetricNames.processCpuLimit, {
          unit: "{cpu}",
          description: "The container's CPU limit in cores (cgroup cpu.max).",
        })
      : undefined;
  if (memoryLimit) observables.push(memoryLimit);
  if (cpuLimit) observables.push(cpuLimit);

  // Sampled every 50 ms: under Bun each sample costs ~40 µs of CPU (10 ms would be 0.4 % of a core
  // when idle), and the delays worth alerting on are longer than that anyway.
  const histogram = monitorEventLoopDelay({ resolution: 50 });
  histogram.enable();
  const user = { [MetricAttributes.cpuMode]: "user" };
  const system = { [MetricAttributes.cpuMode]: "system" };
  const callback = (result: BatchObservableResult) => {
    const usage = process.cpuUsage();
    result.observe(cpu, usage.user / 1e6, user);
    result.observe(cpu, usage.system / 1e6, system);
    result.observe(memory, process.memoryUsage().rss);
    result.observe(uptime, process.uptime());
    // Nanoseconds since the previous collection; nothing while no sample was taken yet.
    if (histogram.count > 0) {
      result.observe(delay.min, histogram.min / 1e9);
      result.observe(delay.max, histogram.max / 1e9);
      result.observe(delay.mean, histogram.mean / 1e9);
      result.observe(delay.p50, histogram.percentile(50) / 1e9);
      result.observe(delay.p90, histogram.percentile(90) / 1e9);
      result.observe(delay.p99, histogram.percentile(99) / 1e9);
      histogram.reset();
    }
    if (memoryLimit && limits.memoryBytes !== undefined) result.observe(memoryLimit, limits.memoryBytes);
    if (cpuLimit && limits.cpus !== undefined) result.observe(cpuLimit, limits.cpus);
  };
  meter.addBatchObservableCallback(callback, observables);
  return () => {
    meter.removeBatchObservableCallback(callback, observables);
    histogram.disable();
  };
}
