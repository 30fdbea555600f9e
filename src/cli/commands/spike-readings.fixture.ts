/**
 * Test input for the `run` command tests: one temperature sensor (TEMP-001 at
 * FAC-BER) reporting every second with a small wobble and one spike to 150 °C.
 */

/** `count` JSON lines from `start` (epoch ms), the reading at index `spikeAt` spiked. */
export function spikeReadings(start: number, count: number, spikeAt: number): string[] {
  const lines: string[] = [];
  for (let s = 0; s < count; s++) {
    lines.push(
      JSON.stringify({
        sensor_id: "TEMP-001",
        timestamp: start + s * 1000,
        facility_id: "FAC-BER",
        sensor_type: "temperature",
        quality_score: 0.99,
        temperature_celsius: s === spikeAt ? 150 : 60 + (s % 7) / 10,
      }),
    );
  }
  return lines;
}
