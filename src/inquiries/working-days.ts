import Holidays from 'date-holidays';

const england = new Holidays('GB', 'ENG');
const bankHolidaysByYear = new Map<number, Set<string>>();

function bankHolidays(year: number): Set<string> {
  let set = bankHolidaysByYear.get(year);
  if (!set) {
    set = new Set(england.getHolidays(year).filter((h) => h.type === 'public').map((h) => h.date.slice(0, 10)));
    bankHolidaysByYear.set(year, set);
  }
  return set;
}

const londonDate = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit' });

/** The calendar date (YYYY-MM-DD) of an instant in UK time. */
export function ukDate(at: Date): string {
  return londonDate.format(at);
}

export function isWorkingDay(isoDate: string): boolean {
  const d = new Date(`${isoDate}T00:00:00Z`);
  const dow = d.getUTCDay();
  return dow !== 0 && dow !== 6 && !bankHolidays(d.getUTCFullYear()).has(isoDate);
}

/** `days` working days after the UK date of `from`, skipping weekends and England's bank holidays. */
export function addWorkingDays(from: Date, days: number): string {
  const d = new Date(`${ukDate(from)}T00:00:00Z`);
  let left = days;
  while (left > 0) {
    d.setUTCDate(d.getUTCDate() + 1);
    if (isWorkingDay(d.toISOString().slice(0, 10))) left--;
  }
  return d.toISOString().slice(0, 10);
}
