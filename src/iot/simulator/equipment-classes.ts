/**
 * The kinds of machine the simulator builds, and what each one's sensors read at
 * full load: the physical constants behind the generated values.
 */
import type { Criticality } from "../reading/reading.js";

/**
 * What a class of equipment reads when it runs at full drive (drive 1). Each sensor
 * of a machine is a linear function of the machine's drive (0 when off, 0.2 + 0.8 ×
 * load when running); temperature follows the drive with a thermal lag.
 */
export interface EquipmentClass {
  readonly name: string;
  readonly criticality: Criticality;
  /** Temperature rise above ambient at full drive, °C. */
  readonly temperatureRise: number;
  /** Vibration magnitude at full drive, g. */
  readonly vibration: number;
  /** Pressure while running at drive 0, psi, and the extra at full drive. */
  readonly pressureBase: number;
  readonly pressureRange: number;
  /** Flow at full drive (m³/h). */
  readonly flow: number;
  /** Electrical power at full drive, W, and the supply voltage. */
  readonly ratedPower: number;
  readonly voltage: number;
  /** What the generic sensor reads at full load, and its unit. */
  readonly generic: number;
  readonly genericUnit: string;
}

/** The built-in classes; machines are assigned round-robin with a seeded shuffle. */
export const EQUIPMENT_CLASSES: readonly EquipmentClass[] = Object.freeze([
  {
    name: "reactor",
    criticality: "critical",
    temperatureRise: 60,
    vibration: 0.8,
    pressureBase: 120,
    pressureRange: 60,
    flow: 12,
    ratedPower: 45_000,
    voltage: 400,
    generic: 120,
    genericUnit: "rpm",
  },
  {
    name: "pump",
    criticality: "medium",
    temperatureRise: 25,
    vibration: 1.6,
    pressureBase: 40,
    pressureRange: 50,
    flow: 80,
    ratedPower: 15_000,
    voltage: 400,
    generic: 2950,
    genericUnit: "rpm",
  },
  {
    name: "compressor",
    criticality: "high",
    temperatureRise: 45,
    vibration: 2.2,
    pressureBase: 90,
    pressureRange: 35,
    flow: 300,
    ratedPower: 75_000,
    voltage: 400,
    generic: 3600,
    genericUnit: "rpm",
  },
  {
    name: "press",
    criticality: "high",
    temperatureRise: 20,
    vibration: 2.6,
    pressureBase: 150,
    pressureRange: 100,
    flow: 6,
    ratedPower: 30_000,
    voltage: 400,
    generic: 45,
    genericUnit: "strokes/min",
  },
  {
    name: "conveyor",
    criticality: "low",
    temperatureRise: 12,
    vibration: 0.9,
    pressureBase: 80,
    pressureRange: 10,
    flow: 2,
    ratedPower: 5_500,
    voltage: 230,
    generic: 1450,
    genericUnit: "rpm",
  },
  {
    name: "mixer",
    criticality: "medium",
    temperatureRise: 30,
    vibration: 1.2,
    pressureBase: 25,
    pressureRange: 15,
    flow: 20,
    ratedPower: 22_000,
    voltage: 400,
    generic: 300,
    genericUnit: "rpm",
  },
]);
