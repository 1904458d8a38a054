// IEEE 1588 values worded: clockClass, clockAccuracy, offsetScaledLogVariance.

const accuracies = {
  0x17: '1 ps', 0x18: '2.5 ps', 0x19: '10 ps', 0x1a: '25 ps', 0x1b: '100 ps', 0x1c: '250 ps', 0x1d: '1 ns',
  0x1e: '2.5 ns', 0x1f: '10 ns', 0x20: '25 ns', 0x21: '100 ns', 0x22: '250 ns', 0x23: '1 µs', 0x24: '2.5 µs',
  0x25: '10 µs', 0x26: '25 µs', 0x27: '100 µs', 0x28: '250 µs', 0x29: '1 ms', 0x2a: '2.5 ms', 0x2b: '10 ms',
  0x2c: '25 ms', 0x2d: '100 ms', 0x2e: '250 ms', 0x2f: '1 s', 0x30: '10 s', 0x31: '> 10 s',
};

const hex = (v, w) => '0x' + v.toString(16).toUpperCase().padStart(w, '0');

// accuracyText decodes clockAccuracy (IEEE 1588-2019 Table 5).
export function accuracyText(a) {
  if (a === undefined || a === null) return '–';
  if (accuracies[a]) return `${hex(a, 2)} (within ${accuracies[a]})`;
  if (a === 0xfe) return `${hex(a, 2)} (unknown)`;
  return `${hex(a, 2)} (reserved)`;
}

// classText decodes clockClass (IEEE 1588-2019 Table 4, the common values).
export function classText(c) {
  if (c === undefined || c === null) return '–';
  const m = {
    6: 'synchronized to a primary reference', 7: 'holdover, within specification', 13: 'synchronized to an application-specific source',
    14: 'application-specific holdover', 52: 'degraded (A)', 58: 'degraded (A, application-specific)', 187: 'degraded (B)',
    193: 'degraded (B, application-specific)', 248: 'default', 255: 'slave-only',
  };
  return m[c] ? `${c} (${m[c]})` : String(c);
}

// varianceText shows offsetScaledLogVariance in hex, as it is usually quoted.
export function varianceText(v) {
  if (v === undefined || v === null) return '–';
  return `${hex(v, 4)} (${v})`;
}

// qualityLine is the grandmaster's quality in one line.
export function qualityLine(g) {
  if (!g) return '';
  return `class ${g.clockClass} · accuracy ${accuracies[g.clockAccuracy] ? 'within ' + accuracies[g.clockAccuracy] : hex(g.clockAccuracy, 2)} · variance ${hex(g.offsetScaledLogVariance, 4)} · priority ${g.grandmasterPriority1}/${g.grandmasterPriority2}`;
}
