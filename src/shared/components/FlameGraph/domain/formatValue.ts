import { formattedValueToString, getValueFormat } from '@grafana/data';

export interface ValueFormatter {
  /** unit-aware, e.g. `470 ms` */
  short: (v: number) => string;
  /** unit-aware with the raw value, e.g. `470 ms (470,000,000 ns)` */
  full: (v: number) => string;
}

const RAW_UNIT: Record<string, string> = { ns: 'ns', µs: 'µs', ms: 'ms', s: 's', bytes: 'bytes', short: '' };

export function valueFormatter(unit: string): ValueFormatter {
  const fmt = getValueFormat(unit || 'short');
  const short = (v: number) => formattedValueToString(fmt(v));
  const raw = RAW_UNIT[unit] ?? '';
  return {
    short,
    full: (v: number) => {
      const s = short(v);
      const exact = `${Math.round(v).toLocaleString('en-US')}${raw ? ` ${raw}` : ''}`;
      // The raw value only when it says more: not for `470 ms` of milliseconds, nor for `512 B` of bytes.
      const sameNumber = s.replace(/[^\d.-]/g, '') === String(Math.round(v));
      return s === exact || s === String(v) || sameNumber ? s : `${s} (${exact})`;
    },
  };
}
