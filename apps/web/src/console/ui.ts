import { showConfirmDialog, showNotify } from 'vant';
import { ref } from 'vue';

export const ACTION_LABEL: Record<string, string> = {
  publish: '发布',
  pause: '暂停',
  resume: '恢复',
  end: '结束',
};

/** Which lifecycle actions a status allows (libs/issuing/src/lifecycle.ts). */
export function actionsFor(status: string): string[] {
  switch (status) {
    case 'draft':
      return ['publish', 'end'];
    case 'published':
      return ['pause', 'end'];
    case 'paused':
      return ['resume', 'end'];
    default:
      return [];
  }
}

export function notifyOk(message: string): void {
  showNotify({ type: 'success', message, duration: 1800 });
}

export function notifyError(e: unknown): void {
  showNotify({ type: 'danger', message: (e as Error).message, duration: 3500 });
}

/** Asks before an action that cannot be undone (ending a campaign, approving payouts). */
export async function confirm(title: string, message: string): Promise<boolean> {
  try {
    await showConfirmDialog({ title, message, confirmButtonText: '确定', cancelButtonText: '取消' });
    return true;
  } catch {
    return false;
  }
}

/** Loading state of a view: data, error, reload; one request at a time. */
export function useLoad<T>(load: () => Promise<T>, initial: T) {
  const data = ref(initial) as { value: T };
  const loading = ref(false);
  const error = ref('');
  async function reload(): Promise<void> {
    loading.value = true;
    error.value = '';
    try {
      data.value = await load();
    } catch (e) {
      error.value = (e as Error).message;
    } finally {
      loading.value = false;
    }
  }
  void reload();
  return { data, loading, error, reload };
}
