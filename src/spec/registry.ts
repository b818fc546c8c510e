// The set of components a spec may name, by kind. Built at the composition root (see builtins.ts).
import type { AnyComponent, ComponentKind, SinkComponent, SourceComponent, StepComponent } from './component.ts';

type ByKind = { source: SourceComponent; step: StepComponent; sink: SinkComponent };

export class ComponentRegistry {
  readonly #components = new Map<ComponentKind, Map<string, AnyComponent>>([
    ['source', new Map()],
    ['step', new Map()],
    ['sink', new Map()],
  ]);

  constructor(components: readonly AnyComponent[] = []) {
    for (const component of components) this.register(component);
  }

  register(component: AnyComponent): this {
    const ofKind = this.#components.get(component.kind);
    if (!ofKind) throw new Error(`unknown component kind ${component.kind as string}`);
    if (ofKind.has(component.name)) throw new Error(`a ${component.kind} named '${component.name}' is registered twice`);
    ofKind.set(component.name, component);
    return this;
  }

  get<K extends ComponentKind>(kind: K, name: string): ByKind[K] | undefined {
    return this.#components.get(kind)?.get(name) as ByKind[K] | undefined;
  }

  list<K extends ComponentKind>(kind: K): ByKind[K][] {
    return [...(this.#components.get(kind)?.values() ?? [])] as ByKind[K][];
  }

  names(kind: ComponentKind): string[] {
    return [...(this.#components.get(kind)?.keys() ?? [])];
  }
}
