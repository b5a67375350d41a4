import { Injectable } from '@nestjs/common';

/** Time source, injected so tests can move time instead of sleeping. */
@Injectable()
export class Clock {
  now(): number {
    return Date.now();
  }
}
