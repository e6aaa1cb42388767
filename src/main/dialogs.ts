/** The native open dialog behind `files.choose`: only what the user picks here becomes readable. */
import { BrowserWindow, dialog } from 'electron';
import type { ChoosePaths } from '../host/handlers';

const IMAGE_EXTENSIONS = ['dcm', 'dicom', 'png', 'jpg', 'jpeg', 'tif', 'tiff', 'bmp', 'webp'];

export const electronChoosePaths: ChoosePaths = async (kind) => {
  const win = BrowserWindow.getFocusedWindow() ?? BrowserWindow.getAllWindows()[0];
  const options: Electron.OpenDialogOptions =
    kind === 'folder'
      ? { properties: ['openDirectory'] }
      : { properties: ['openFile', 'multiSelections'], filters: [{ name: 'Images and DICOM', extensions: IMAGE_EXTENSIONS }, { name: 'All files', extensions: ['*'] }] };
  const result = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
  return result.canceled ? [] : result.filePaths;
};
