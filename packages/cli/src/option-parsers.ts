import { InvalidArgumentError } from 'commander';

/**
 * Commander argument parsers for numeric options. A value that is not what the option takes is
 * a usage error (exit 2, one line naming the option and the value), never silently the default.
 */
export function wholeNumber(what: string, min = 1, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value: string) => {
    const n = /^[0-9]+$/.test(value.trim()) ? Number(value.trim()) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`Give a whole number of ${what} from ${min}${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : ''}.`);
    return n;
  };
}
