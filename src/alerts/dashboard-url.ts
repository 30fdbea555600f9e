/**
 * Links from an alarm to its dashboard page, from a URL template such as
 * `https://millstream.example/equipment/{equipment}`.
 */

/** The link of one alarm, or `undefined` when a placeholder has no value. */
export type DashboardLink = (
  labels: Readonly<Record<string, string>>,
  alarmId: string,
) => string | undefined;

const PLACEHOLDER = /\{([A-Za-z0-9_]+)\}/g;

/**
 * Builds the link function of `template`. `{alarmId}` is the alarm id; any other
 * `{name}` is the alarm's label `name` (`facility`, `equipment`, `sensor`, …),
 * URL-encoded. A template naming a label the alarm lacks gives no link for that
 * alarm. A `null` template gives no links.
 */
export function dashboardLink(template: string | null | undefined): DashboardLink {
  if (!template) return () => undefined;
  return (labels, alarmId) => {
    let missing = false;
    const url = template.replace(PLACEHOLDER, (_, name: string) => {
      const value = name === "alarmId" ? alarmId : labels[name];
      if (value === undefined || value === "") {
        missing = true;
        return "";
      }
      return encodeURIComponent(value);
    });
    return missing ? undefined : url;
  };
}
