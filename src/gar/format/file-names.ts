/**
 * File names of the GAR-ENT exchange, as gar-connector writes them:
 * `<entId>_GAR-ENT_Complet_<yyyyMMdd_HHmmss>_2D_<kind>_<index on 4 digits, from 0000>.xml`,
 * e.g. `ENT42_GAR-ENT_Complet_20250114_230002_2D_Eleve_0000.xml`. Only secondary schools
 * (`2D_`) for now; primary ones (`1D_`) have their own namespace and XSD.
 */
import type { GarFileKind } from '../model.js';

/** The run's time in UTC: the hub's nodes may run in any zone, and every file of a run must carry the same stamp. */
export function garTimestamp(at: Date): string {
  const iso = at.toISOString(); // 2025-01-14T23:00:02.123Z
  return `${iso.slice(0, 10).replaceAll('-', '')}_${iso.slice(11, 19).replaceAll(':', '')}`;
}

export function garFileName(entId: string, at: Date, kind: GarFileKind, index: number): string {
  return `${entId}_GAR-ENT_Complet_${garTimestamp(at)}_2D_${kind}_${String(index).padStart(4, '0')}.xml`;
}
