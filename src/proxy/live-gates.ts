/**
 * The rollout's gates, judged continuously on live traffic: every request
 * routed at the current percentage is kept in compact form, and every
 * `every` candidate-routed requests the plan's gates are judged on them with
 * the rehearsal's anytime-valid intervals (judgeStage), so looking often
 * inflates no error rate. A rollback decision moves the rollout to 0% with
 * no human; promotion stays a human's (or the rehearsal's) move.
 */
import type { GateSpec } from '../judge/gates.js';
import { judgeStage, type StageJudgement } from '../rollout/stage-judge.js';
import type { JudgedRequest } from '../store/rollout-store.js';

/** Live requests the judge keeps at most; the oldest go first (a bound on memory, not on validity of what is kept). */
export const MAX_LIVE_JUDGED = 200_000;

export interface LiveGatesOptions {
  specs: readonly GateSpec[];
  confidence: number;
  /** The confidence sequences' tuning sample size (planTuningN). */
  nStar: number;
  /** Judge after every this many candidate-routed requests. */
  every: number;
}

export class LiveGates {
  private judged: JudgedRequest[] = [];
  private percentage: number | null = null;
  private sinceLook = 0;
  /** The latest judgement, for logs and tests. */
  last: StageJudgement | null = null;
  looks = 0;

  constructor(private readonly o: LiveGatesOptions) {}

  /**
   * Adds one request routed at `percentage`; returns the judgement when this
   * request made a look due. A change of percentage starts a fresh window
   * (the sample-ratio check needs one percentage).
   */
  add(request: JudgedRequest, percentage: number): StageJudgement | null {
    if (percentage !== this.percentage) {
      this.percentage = percentage;
      this.judged = [];
      this.sinceLook = 0;
    }
    if (percentage <= 0 || percentage >= 100) return null;
    this.judged.push(request);
    if (this.judged.length > MAX_LIVE_JUDGED) this.judged.splice(0, this.judged.length - MAX_LIVE_JUDGED);
    if (request.routed_arm !== 'candidate') return null;
    this.sinceLook++;
    if (this.sinceLook < this.o.every) return null;
    this.sinceLook = 0;
    this.looks++;
    this.last = judgeStage(this.judged, 0, percentage, this.o.specs, this.o.confidence, this.o.nStar);
    return this.last;
  }
}
