/** MQTT.js, loaded by the first MQTT source or publisher (see `lazy-library.ts`). */
import type mqtt from "mqtt";
import { lazyRequire } from "../lazy-library.js";

export const mqttLibrary = lazyRequire<typeof mqtt>("mqtt");
