/** One pg_rto_plan row: five Patroni timings in seconds, then the HAProxy health check settings. */
export type RtoPlanRow = [number, number, number, number, number, string, string, string, number, number];

/** Pigsty's RTO presets (pg_rto_plan): fast < 30 s, norm < 45 s, safe < 90 s, wide < 150 s. */
export const PG_RTO_PLAN: Record<'fast' | 'norm' | 'safe' | 'wide', RtoPlanRow> = {
  fast: [20, 5, 5, 15, 5, '1s', '0.5s', '1s', 3, 3],
  norm: [30, 5, 10, 25, 5, '2s', '1s', '2s', 3, 3],
  safe: [60, 10, 20, 45, 10, '3s', '1.5s', '3s', 3, 3],
  wide: [120, 20, 30, 95, 15, '4s', '2s', '4s', 3, 3],
};

/** The RTO settings by name, as Patroni's dcs section and HAProxy's default-server read them. */
export interface RtoSettings {
  /** Patroni: leader lock TTL. */
  ttl: number;
  loop_wait: number;
  retry_timeout: number;
  primary_start_timeout: number;
  /** Patroni watchdog safety margin. */
  safety_margin: number;
  /** HAProxy check intervals and thresholds. */
  inter: string;
  fastinter: string;
  downinter: string;
  rise: number;
  fall: number;
}

/**
 * The settings of plan `rto` in `plan`; an unknown name falls back to the plan's norm, as Pigsty's templates do, and
 * a plan without norm to Pigsty's.
 */
export function rtoSettings(rto: string, plan: Record<string, RtoPlanRow>): RtoSettings {
  const row = (Object.hasOwn(plan, rto) ? plan[rto] : undefined) ?? plan.norm ?? PG_RTO_PLAN.norm;
  const [ttl, loop_wait, retry_timeout, primary_start_timeout, safety_margin, inter, fastinter, downinter, rise, fall] = row;
  return { ttl, loop_wait, retry_timeout, primary_start_timeout, safety_margin, inter, fastinter, downinter, rise, fall };
}
