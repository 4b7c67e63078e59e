import { Injectable, PipeTransform } from '@nestjs/common';
import { LifecycleAction } from '@jinli/issuing';
import { JinliException } from '@jinli/platform';

const ACTIONS: LifecycleAction[] = ['publish', 'pause', 'resume', 'end'];

@Injectable()
export class LifecycleActionPipe implements PipeTransform<string, LifecycleAction> {
  transform(value: string): LifecycleAction {
    if (!ACTIONS.includes(value as LifecycleAction)) {
      throw new JinliException('NOT_FOUND', `Unknown action ${value}; use one of ${ACTIONS.join(', ')}`);
    }
    return value as LifecycleAction;
  }
}
