import { describe, expect, test, vi } from 'vitest';
import { IsolatedEmitter } from '../../src/runtime/listeners.js';

interface Events {
  tick: { readonly n: number };
  warning: { readonly message: string };
}

describe('IsolatedEmitter', () => {
  describe('should keep a listener from breaking the emitter', () => {
    test('when a listener throws, the others still run and onError gets the error with the event', () => {
      // Arrange
      const onError = vi.fn();
      const events = new IsolatedEmitter<Events>(onError);
      const bug = new Error('listener bug');
      const after = vi.fn();
      events.on('tick', () => {
        throw bug;
      });
      events.on('tick', after);
      // Act
      events.emit('tick', { n: 1 });
      // Assert
      expect(after).toHaveBeenCalledWith({ n: 1 });
      expect(onError).toHaveBeenCalledWith(bug, 'tick');
    });

    test('when an async listener rejects, onError gets the rejection, not the process', async () => {
      const onError = vi.fn();
      const events = new IsolatedEmitter<Events>(onError);
      const bug = new Error('async bug');
      events.on('tick', async () => {
        throw bug;
      });
      events.emit('tick', { n: 1 });
      await vi.waitFor(() => expect(onError).toHaveBeenCalledWith(bug, 'tick'));
    });

    test('when onError itself throws, emit still returns and the other listeners run', () => {
      const events = new IsolatedEmitter<Events>(() => {
        throw new Error('reporter bug');
      });
      const after = vi.fn();
      events.on('tick', () => {
        throw new Error('listener bug');
      });
      events.on('tick', after);
      expect(() => events.emit('tick', { n: 1 })).not.toThrow();
      expect(after).toHaveBeenCalledTimes(1);
    });
  });

  describe('should support once and off', () => {
    test('when a listener is added with once, it runs once; off removes the latest registration only', () => {
      const events = new IsolatedEmitter<Events>(() => {});
      const once = vi.fn();
      const twice = vi.fn();
      events.once('tick', once);
      events.on('tick', twice);
      events.on('tick', twice);
      events.off('tick', twice);
      events.emit('tick', { n: 1 });
      events.emit('tick', { n: 2 });
      expect(once).toHaveBeenCalledTimes(1);
      expect(twice).toHaveBeenCalledTimes(2);
      expect(events.listenerCount('tick')).toBe(1);
      events.removeAllListeners();
      expect(events.listenerCount('tick')).toBe(0);
    });
  });
});
