/** MQTT.js, loaded by the first MQTT source or publisher (see `lazy-library.ts`). */
import { lazyLibrary } from "../lazy-library.js";

export const mqttLibrary = lazyLibrary(async () => (await import("mqtt")).default);
